// Run by bench/audit-query.ts under `node --conditions=react-server` (lib/server is server-only):
// fills a fresh database with `rows` audit rows through the real trigger, then times the viewer's
// queries (lib/server/audit/read.ts) and the whole-chain check. Prints one JSON line.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../lib/server/db";
import { auditPage, auditRecords, verifyAuditTrail } from "../lib/server/audit/read";
import type { AuditFilter } from "../lib/shared/audit";
import { summarize, type Summary } from "./lib/stats";

const [databaseUrl, rowsText, repsText] = process.argv.slice(2);
const ROWS = Number(rowsText);
const REPS = Number(repsText);
const STAFF = 40;
const CONSULTS = 2_000;
const ACTIONS = [
  "consult.created",
  "invite.created",
  "invite.redeemed",
  "participant.admitted",
  "file.uploaded",
  "records.document_fetched",
  "auth.sign_in",
  "consult.ended",
  "messages.read",
  "file.link_issued",
];
const DAY = 86_400_000;

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "parley-bench-audit-"));
  const open = await openDatabase({ databaseUrl: databaseUrl || undefined, dataDir });
  try {
    const db = open.db;
    const staff = await Promise.all(
      Array.from({ length: STAFF }, (_, i) => db.user.create({ data: { email: `s${i}-${Date.now()}@bench.test`, name: `Staff ${i}`, role: i % 10 ? "doctor" : "admin" }, select: { id: true } })),
    );
    const ids = staff.map((s) => s.id);
    const t0 = performance.now();
    // A year of a clinic: rows spread evenly in time, actors and consults spread across the clinic.
    const start = Date.now() - 365 * DAY;
    for (let done = 0; done < ROWS; done += 10_000) {
      const n = Math.min(10_000, ROWS - done);
      await db.$executeRawUnsafe(
        `INSERT INTO "AuditEvent" ("at", "actorUserId", "consultId", "action", "detail", "ip", "userAgent")
         SELECT to_timestamp(($1::bigint + (g * $2::bigint)) / 1000.0) AT TIME ZONE 'UTC',
                ($3::uuid[])[1 + (g % $4::int)],
                ('00000000-0000-4000-8000-' || lpad(to_hex(g % $5::int), 12, '0'))::uuid,
                ($6::text[])[1 + (g % $7::int)],
                jsonb_build_object('n', g),
                '192.0.2.' || (g % 250), 'Mozilla/5.0 (bench) Chromium'
         FROM generate_series($8::int, $9::int) g`,
        start,
        Math.floor((365 * DAY) / ROWS),
        ids,
        STAFF,
        CONSULTS,
        ACTIONS,
        ACTIONS.length,
        done,
        done + n - 1,
      );
    }
    const fillMs = performance.now() - t0;
    const person = ids[7] ?? "";
    const mid = new Date(start + 180 * DAY);
    const cases: [string, AuditFilter, boolean][] = [
      ["no filter, newest 100", {}, false],
      ["one consult", { consult: "00000000-0000-4000-8000-00000000002a" }, false],
      ["one person", { person }, false],
      ["one action", { action: "records.document_fetched" }, false],
      ["an action family", { action: "file" }, false],
      ["one week", { from: mid, to: new Date(mid.getTime() + 7 * DAY) }, false],
      // Row g has actor g % STAFF and action g % ACTIONS.length: pick the action that person's rows carry.
      ["person + action + one month", { person, action: ACTIONS[7 % ACTIONS.length], from: mid, to: new Date(mid.getTime() + 30 * DAY) }, false],
      ["one person, page 20 (keyset)", { person }, true],
    ];
    const results: { name: string; rows: number; ms: Summary }[] = [];
    for (const [name, filter, deep] of cases) {
      let before: string | undefined;
      if (deep) for (let i = 0; i < 19; i++) before = (await auditPage(db, filter, before)).nextBefore;
      const samples: number[] = [];
      let rows = 0;
      for (let i = 0; i <= REPS; i++) {
        const t = performance.now();
        rows = (await auditPage(db, filter, before)).rows.length;
        if (i > 0) samples.push(performance.now() - t);
      }
      results.push({ name, rows, ms: summarize(samples) });
    }
    let exported = 0;
    const exportMs = await timed(async () => {
      for await (const r of auditRecords(db, { consult: "00000000-0000-4000-8000-00000000002a" })) exported += r.id ? 1 : 0;
    });
    const verifyMs: number[] = [];
    let checked = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      checked = (await verifyAuditTrail(db)).checked;
      verifyMs.push(performance.now() - t);
    }
    console.log(JSON.stringify({ rows: ROWS, fillMs, results, exportRows: exported, exportMs, verify: { checked, ms: summarize(verifyMs) } }));
  } finally {
    await open.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
