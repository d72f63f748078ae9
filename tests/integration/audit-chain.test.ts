// Issue 22, item 2: the audit trail is append-only and tamper-evident, on both databases, through
// the real trigger (migration 20261212100000_audit_chain) and the real checks (lib/server/audit):
// rows chain in id order, names are frozen, UPDATE, DELETE and TRUNCATE are refused, a row changed
// behind the app's back (trigger disabled) is named by `audit-verify`, an export is checked on its
// own, rows written before the migration join the chain, and (PostgreSQL) the README's app role
// cannot touch the trail even with the triggers off.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { audit } from "@/lib/server/audit";
import { auditHash, type AuditRecord } from "@/lib/server/audit/chain";
import { checkExport } from "@/lib/server/audit/export-check";
import { auditExportText } from "@/lib/server/audit/export";
import { auditRecords, verifyAuditTrail } from "@/lib/server/audit/read";
import { openDatabase, type Db } from "@/lib/server/db";
import { migrate, readMigrations } from "@/lib/server/db/migrate";
import { withRequestContext } from "@/lib/server/request-context";
import { runCommand } from "@/lib/server/staff/commands";

import { createScratch, createStaff, describeBackends, openRunner, setupDatabase, setupTestEnv, type Scratch } from "../support/db";

setupTestEnv();

const all = async (db: Db) => {
  const rows: AuditRecord[] = [];
  for await (const r of auditRecords(db, {})) rows.push(r);
  return rows;
};
const consultId = () => `00000000-0000-4000-8000-${randomBytes(6).toString("hex")}`;

describeBackends("audit chain", (kind) => {
  const t = setupDatabase(kind);

  it("numbers, names and chains every row; the whole trail checks out", async () => {
    const doctor = await createStaff(t.db);
    const consult = consultId();
    for (let i = 0; i < 5; i++) await audit({ action: "test.step", actorUserId: doctor.id, consultId: consult, detail: { i, note: "ü ✓" } }, t.db);
    const rows = await all(t.db);
    const ids = rows.map((r) => Number(r.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(rows[0]?.prevHash).toBe("00".repeat(32));
    for (const [i, r] of rows.entries()) {
      expect(auditHash(r)).toBe(r.hash);
      if (i > 0) expect(r.prevHash).toBe(rows[i - 1]?.hash);
    }
    expect(rows.at(-1)).toMatchObject({ actorName: doctor.name, actorRole: "doctor", consultId: consult });
    const report = await verifyAuditTrail(t.db);
    expect(report.firstBroken).toBeUndefined();
    expect(report).toMatchObject({ checked: rows.length, links: rows.length, head: { id: rows.at(-1)?.id, hash: rows.at(-1)?.hash } });
  });

  it("the database hashes the pinned vector of tests/unit/audit-chain.test.ts to the same value", async () => {
    const [r] = await t.db.$queryRawUnsafe<{ hash: string }[]>(
      `SELECT encode("audit_row_hash"(jsonb_populate_record(NULL::"AuditEvent", $1::jsonb)), 'hex') AS "hash"`,
      JSON.stringify({
        id: 42,
        at: "2026-12-07T09:30:00.123",
        actorUserId: "0b0e5c1e-8d3a-4f5e-9a6b-7c8d9e0f1a2b",
        actorName: "Dr. Zoë Ålund",
        actorRole: "doctor",
        consultId: "3f0c2d1e-4b5a-4c6d-8e7f-901a2b3c4d5e",
        action: "records.document_fetched",
        detail: { fileId: "f", size: 1024 },
        ip: "203.0.113.9",
        userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131",
        prevHash: `\\x${"ab".repeat(32)}`,
      }),
    );
    expect(r?.hash).toBe("5131645bf3dd6ba31c57d4ecda63b18e70a10a233ad725ee638883e997a009de");
  });

  it("keeps the name a person had when they acted: renaming or deleting them changes no row", async () => {
    const admin = await createStaff(t.db, "admin");
    const doctor = await createStaff(t.db);
    await audit({ action: "staff.role_changed", actorUserId: admin.id, subjectUserId: doctor.id }, t.db);
    await t.db.user.update({ where: { id: admin.id }, data: { name: "Renamed Later" } });
    await t.db.user.delete({ where: { id: doctor.id } });
    const row = (await all(t.db)).find((r) => r.action === "staff.role_changed" && r.actorUserId === admin.id);
    expect(row).toMatchObject({ actorName: admin.name, actorRole: "admin", subjectUserId: doctor.id, subjectName: doctor.name });
    expect((await verifyAuditTrail(t.db)).firstBroken).toBeUndefined();
  });

  it("records the request's source address and user agent", async () => {
    const consult = consultId();
    await withRequestContext({ ip: "203.0.113.9", userAgent: "Mozilla/5.0 (test) Chromium" }, () => audit({ action: "test.request", consultId: consult }, t.db));
    const row = (await all(t.db)).find((r) => r.consultId === consult);
    expect(row).toMatchObject({ ip: "203.0.113.9", userAgent: "Mozilla/5.0 (test) Chromium" });
  });

  it("a rolled-back action leaves no row and no gap", async () => {
    const before = await all(t.db);
    await expect(
      t.db.$transaction(async (tx) => {
        await audit({ action: "test.rolled_back" }, tx);
        throw new Error("the action failed");
      }),
    ).rejects.toThrow("the action failed");
    await audit({ action: "test.after_rollback" }, t.db);
    const after = await all(t.db);
    expect(after.map((r) => r.action)).not.toContain("test.rolled_back");
    expect(Number(after.at(-1)?.id)).toBe(Number(before.at(-1)?.id) + 1);
    expect((await verifyAuditTrail(t.db)).firstBroken).toBeUndefined();
  });

  it("refuses UPDATE, DELETE and TRUNCATE, even from the app's own connection", async () => {
    await audit({ action: "test.keep" }, t.db);
    await expect(t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "detail" = '{"x": 1}' WHERE "action" = 'test.keep'`)).rejects.toThrow(/append-only: UPDATE/);
    await expect(t.db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "action" = 'test.keep'`)).rejects.toThrow(/append-only: DELETE/);
    await expect(t.db.$executeRawUnsafe(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only: TRUNCATE/);
    await expect(t.db.auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    expect(await t.db.auditEvent.count({ where: { action: "test.keep" } })).toBe(1);
  });

  it("an export is checked on its own: a filtered one row by row, a changed line is named", async () => {
    const doctor = await createStaff(t.db);
    const consult = consultId();
    for (let i = 0; i < 3; i++) await audit({ action: "file.uploaded", actorUserId: doctor.id, consultId: consult, detail: { i } }, t.db);
    await audit({ action: "test.other" }, t.db);
    await audit({ action: "records.opened", actorUserId: doctor.id, consultId: consult }, t.db);

    const jsonl = await auditExportText(t.db, { consult }, "jsonl");
    const ok = checkExport(jsonl);
    expect(ok).toMatchObject({ error: undefined, firstBroken: undefined, checked: 4, links: 2 });
    expect(ok.header?.filter).toEqual({ consult });

    const lines = jsonl.trimEnd().split("\n");
    const second = JSON.parse(lines[2] ?? "") as AuditRecord;
    // A changed field: the row no longer matches its hash.
    const changed = [...lines];
    changed[2] = JSON.stringify({ ...second, detail: '{"i": 7}' });
    expect(checkExport(changed.join("\n")).firstBroken).toMatchObject({ id: second.id, problem: "altered" });
    // Changed and re-hashed: the next row no longer follows it.
    const rehashed = { ...second, detail: '{"i": 7}' };
    changed[2] = JSON.stringify({ ...rehashed, hash: auditHash(rehashed) });
    expect(checkExport(changed.join("\n")).firstBroken).toMatchObject({ id: String(Number(second.id) + 1), problem: "unlinked" });

    // The whole trail: a removed line breaks the chain at the row after it.
    const whole = (await auditExportText(t.db, {}, "jsonl")).trimEnd().split("\n");
    expect(checkExport(whole.join("\n"))).toMatchObject({ error: undefined, firstBroken: undefined });
    const removed = JSON.parse(whole[3] ?? "") as AuditRecord;
    expect(checkExport(whole.filter((_, i) => i !== 3).join("\n")).firstBroken).toMatchObject({ id: String(Number(removed.id) + 1), problem: "unlinked" });

    const csv = (await auditExportText(t.db, { consult }, "csv")).trimEnd().split("\r\n");
    expect(csv[0]).toBe("id,at_utc,action,actor_id,actor_name,actor_role,subject_id,subject_name,consult_id,ip,user_agent,detail,prev_hash,hash");
    expect(csv.slice(1).map((l) => l.split(",")[8])).toEqual([consult, consult, consult, consult]);
  });

  if (kind === "postgres") {
    it("writers racing from many connections still make one chain with no gaps", async () => {
      const consult = consultId();
      await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          t.db.$transaction(async (tx) => {
            await tx.user.count();
            await audit({ action: "test.race", consultId: consult, detail: { i } }, tx);
          }),
        ),
      );
      const rows = await all(t.db);
      expect(rows.filter((r) => r.consultId === consult)).toHaveLength(24);
      expect(rows.map((r) => Number(r.id))).toEqual(rows.map((_, i) => i + 1));
      expect((await verifyAuditTrail(t.db)).firstBroken).toBeUndefined();
    });
  }
});

describeBackends("audit chain, changed behind the app's back", (kind) => {
  const t = setupDatabase(kind);

  it("`audit-verify` names the first row changed with the trigger switched off", async () => {
    for (let i = 0; i < 6; i++) await audit({ action: "test.row", detail: { i } }, t.db);
    const first = await runCommand(t.db, ["audit-verify"]);
    expect(first.ok && first.output).toMatch(/^OK: 6 row\(s\) check out/);
    await t.db.$executeRawUnsafe(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    await t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "detail" = '{"i": 99}' WHERE "id" = 4`);
    await t.db.$executeRawUnsafe(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    const answer = await runCommand(t.db, ["audit-verify"]);
    expect(!answer.ok && answer.error).toMatch(/^BROKEN at row 4: row 4 does not match its hash.*3 row\(s\) before it check out/);
    // The check itself is audited, after the broken row, and does not hide it.
    expect(await t.db.auditEvent.count({ where: { action: "audit.verified" } })).toBe(2);
  });
});

describeBackends("audit chain, upgrading a database with rows", (kind) => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch(kind, { pristine: true });
  });
  afterAll(async () => {
    await scratch.dispose();
  });

  it("rows written before the migration join the chain, with the names of their people", async () => {
    const files = readMigrations();
    const at = files.findIndex((m) => m.name.endsWith("_audit_chain"));
    const runner = await openRunner(scratch);
    try {
      await migrate(runner, files.slice(0, at));
      await runner.query(`INSERT INTO "User" ("id", "email", "name", "role", "updatedAt") VALUES ('00000000-0000-4000-8000-00000000000a', 'old@clinic.test', 'Dr. Old', 'doctor', now())`);
      for (const action of ["consult.created", "invite.created", "auth.sign_in"]) {
        await runner.query(`INSERT INTO "AuditEvent" ("actorUserId", "action", "detail") VALUES ('00000000-0000-4000-8000-00000000000a', $1, '{"legacy": true}')`, [action]);
      }
    } finally {
      await runner.close();
    }
    const open = await openDatabase({ databaseUrl: scratch.databaseUrl, dataDir: scratch.dataDir });
    try {
      await audit({ action: "test.after_upgrade" }, open.db);
      const rows = await all(open.db);
      expect(rows.map((r) => [r.id, r.action, r.actorName])).toEqual([
        ["1", "consult.created", "Dr. Old"],
        ["2", "invite.created", "Dr. Old"],
        ["3", "auth.sign_in", "Dr. Old"],
        ["4", "test.after_upgrade", null],
      ]);
      expect((await verifyAuditTrail(open.db)).firstBroken).toBeUndefined();
    } finally {
      await open.close();
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("audit chain, the app as a role without rights to change it [postgres]", () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await createScratch("postgres");
  });
  afterAll(async () => {
    await scratch.dispose();
  });

  it("docs/deploy/app-role.sql: the app boots, writes and appends; it cannot update, delete, truncate or switch triggers off", async () => {
    const owner = await openDatabase({ databaseUrl: scratch.databaseUrl, dataDir: scratch.dataDir });
    const role = `parley_app_${randomBytes(4).toString("hex")}`;
    try {
      const sql = readFileSync("docs/deploy/app-role.sql", "utf8").replaceAll("parley_app", role);
      const c = new pg.Client({ connectionString: scratch.databaseUrl });
      await c.connect();
      try {
        await c.query(sql);
        await c.query(sql); // safe to run again after an upgrade
      } finally {
        await c.end();
      }
    } finally {
      await owner.close();
    }
    const url = new URL(scratch.databaseUrl ?? "");
    url.username = role;
    const app = await openDatabase({ databaseUrl: url.toString(), dataDir: scratch.dataDir });
    try {
      const doctor = await createStaff(app.db);
      await audit({ action: "test.as_app", actorUserId: doctor.id }, app.db);
      expect((await all(app.db)).at(-1)).toMatchObject({ action: "test.as_app", actorName: doctor.name });
      await expect(app.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "action" = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(app.db.$executeRawUnsafe(`DELETE FROM "AuditEvent"`)).rejects.toThrow(/permission denied/);
      await expect(app.db.$executeRawUnsafe(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/permission denied/);
      await expect(app.db.$executeRawUnsafe(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`)).rejects.toThrow(/must be owner/);
      expect((await verifyAuditTrail(app.db)).firstBroken).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
