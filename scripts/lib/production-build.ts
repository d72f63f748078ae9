// The production build, shared by `npm run build` and `npm start`: Next's standalone output plus
// what it leaves out (static assets, public files) and Parley's own entry, parley.mjs, so that
// `.next/standalone` runs on its own with `node parley.mjs` — on this machine and in the image.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build as bundle } from "esbuild";
import { sourceHash } from "./source-hash";

export const STANDALONE = path.join(".next", "standalone");
/** the server's entry inside STANDALONE */
export const ENTRY = "parley.mjs";
/** Scripts bundled beside it, so the image runs them with plain node (`node admin.mjs list`). */
const BUNDLES: Record<string, string> = {
  "scripts/serve.ts": ENTRY,
  "scripts/admin.ts": "admin.mjs",
  "scripts/s3-bucket.ts": "s3-setup.mjs",
};
/** next.config.mjs's serverExternalPackages, Prisma's runtime, the native Argon2, and pino (one logger per process, shared through globalThis) */
const RUNTIME_PACKAGES = ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "@prisma/adapter-pg", "@prisma/client", "@node-rs/argon2", "pino"];
const STAMP = path.join(".next", "parley-source-hash");

/** Whether `.next/standalone` was built from exactly these sources. */
export function buildIsCurrent(root: string): boolean {
  const stamp = path.join(root, STAMP);
  return existsSync(path.join(root, STANDALONE, ENTRY)) && existsSync(stamp) && readFileSync(stamp, "utf8") === sourceHash(root);
}

/** Builds; returns false (after Next's own messages) when the build failed. */
export async function productionBuild(root: string): Promise<boolean> {
  const hash = sourceHash(root);
  rmSync(path.join(root, STAMP), { force: true });
  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  const r = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (r.status !== 0) return false;
  const out = path.join(root, STANDALONE);
  // `output: "standalone"` copies neither the browser's assets nor public/: the server serves both.
  cpSync(path.join(root, ".next", "static"), path.join(out, ".next", "static"), { recursive: true });
  if (existsSync(path.join(root, "public"))) cpSync(path.join(root, "public"), path.join(out, "public"), { recursive: true });
  // Next traces sharp for its image optimiser whatever the config says; with images.unoptimized
  // (next.config.mjs) nothing loads it, and it is a quarter of the output.
  for (const dir of ["sharp", "@img"]) rmSync(path.join(out, "node_modules", dir), { recursive: true, force: true });
  for (const [entry, outfile] of Object.entries(BUNDLES)) {
    await bundle({
      entryPoints: [path.join(root, entry)],
      outfile: path.join(out, outfile),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // lib/server modules import "server-only", which only the react-server condition allows.
      conditions: ["react-server"],
      // Loaded from .next/standalone/node_modules, where Next's trace put them (native code, WASM).
      external: RUNTIME_PACKAGES,
      // Bundled CommonJS code may call require(); ESM output has none of its own.
      banner: { js: 'import { createRequire as __parleyRequire } from "node:module"; const require = __parleyRequire(import.meta.url);' },
      logLevel: "warning",
    });
  }
  writeFileSync(path.join(root, STAMP), hash);
  return true;
}
