// scripts/pg-cluster.sh from a clone under a directory only its owner may enter (as root's home is,
// 0700): as root the server runs as `postgres`, which cannot reach such a folder, so the cluster
// must live elsewhere, answer, and be gone after `stop`.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { unusedLoopbackPort } from "../support/ports";

const hasPostgres = spawnSync("bash", ["-c", "compgen -G '/usr/lib/postgresql/*/bin/initdb' || command -v initdb"], { stdio: "ignore" }).status === 0;
const parent = mkdtempSync(path.join(tmpdir(), "parley-private-"));
chmodSync(parent, 0o700);
const dir = path.join(parent, "clone", ".test-stack", "pg");
afterAll(() => {
  spawnSync("bash", ["scripts/pg-cluster.sh", "stop", dir]);
  rmSync(parent, { recursive: true, force: true });
});

it.skipIf(!hasPostgres)("starts, answers and stops under a 0700 parent directory", async () => {
  mkdirSync(path.dirname(dir), { recursive: true });
  const started = spawnSync("bash", ["scripts/pg-cluster.sh", "start", dir, String(await unusedLoopbackPort())], { encoding: "utf8" });
  expect(started.stderr).not.toMatch(/cannot reach|failed/);
  expect(started.status).toBe(0);
  const client = new pg.Client({ connectionString: started.stdout.trim() });
  await client.connect();
  expect((await client.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  await client.end();
  // As root the cluster moved where `postgres` can reach it; stop removes that folder.
  const moved = existsSync(path.join(dir, "cluster")) ? readFileSync(path.join(dir, "cluster"), "utf8").trim() : undefined;
  if (process.getuid?.() === 0) expect(moved).toMatch(/^\/tmp\/parley-pg\./);
  expect(spawnSync("bash", ["scripts/pg-cluster.sh", "stop", dir]).status).toBe(0);
  if (moved) expect(existsSync(moved)).toBe(false);
});
