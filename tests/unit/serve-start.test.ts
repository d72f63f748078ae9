// The production entry (scripts/serve.ts, bundled as .next/standalone/parley.mjs) refuses to start
// with settings that cannot work, before Next loads: here, a serverless platform (VERCEL set) with
// the embedded database and the filesystem store, which would lose data between requests.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

function start(env: Record<string, string>) {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(DATABASE_URL|S3_|VERCEL|AUTH_SECRET)/.test(k)) delete clean[k];
  return spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/serve.ts"], {
    env: { ...clean, DATA_DIR: mkdtempSync(path.join(tmpdir(), "parley-serve-")), LOG_FORMAT: "text", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

it("on Vercel without a database and a bucket: exits 1 naming DATABASE_URL and S3_*", () => {
  const r = start({ VERCEL: "1" });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("on Vercel the embedded database and the filesystem store would lose data");
  expect(r.stderr).toContain("DATABASE_URL");
  expect(r.stderr).toContain("S3_BUCKET");
  expect(r.stdout).not.toContain("starting on");
});

it("on Vercel with a database but no bucket: exits 1 naming only S3_*", () => {
  const r = start({ VERCEL: "1", DATABASE_URL: "postgresql://parley@127.0.0.1:1/parley", AUTH_SECRET: "x".repeat(40) });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("S3_BUCKET");
  expect(r.stderr).not.toContain("DATABASE_URL (a hosted PostgreSQL)");
});
