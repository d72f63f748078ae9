// The admin's audit viewer at clinic scale (issue 22): 100,000 audit rows written through the real
// trigger, then each filter's first page (and a deep page) timed, an export of one consult, and the
// whole-chain check. On the embedded database and on PostgreSQL, each in a worker process that may
// load lib/server (bench/audit-query-worker.ts).
import { spawnSync } from "node:child_process";
import type { Summary } from "./lib/stats";

export type AuditQueryResult = {
  database: string;
  rows: number;
  fillMs: number;
  results: { name: string; rows: number; ms: Summary }[];
  exportRows: number;
  exportMs: number;
  verify: { checked: number; ms: Summary };
};

export function auditQuery(database: string, databaseUrl: string, rows: number, reps = 30): AuditQueryResult {
  const r = spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "bench/audit-query-worker.ts", databaseUrl, String(rows), String(reps)], {
    encoding: "utf8",
    env: { ...process.env, AUTH_SECRET: process.env.AUTH_SECRET ?? "bench-only-secret-0123456789-0123456789", DATABASE_URL: databaseUrl },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`audit bench on ${database} failed: ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return { database, ...(JSON.parse(line) as Omit<AuditQueryResult, "database">) };
}
