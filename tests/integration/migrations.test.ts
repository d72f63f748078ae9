// lib/server/db/migrate.ts and seed.ts through openDatabase(), on PostgreSQL and on embedded PGlite:
// migrations apply on an empty database once, edits to applied ones are refused, demo accounts are seeded once.
import { createHash } from "node:crypto";

import { afterAll, beforeAll, expect, it } from "vitest";

import { verifyPassword } from "@/lib/server/auth/password";
import { openDatabase, type OpenDatabase } from "@/lib/server/db";
import { migrate, readMigrations, type Migration } from "@/lib/server/db/migrate";
import { DEMO_ACCOUNTS, seedDemo } from "@/lib/server/db/seed";

import { createScratch, describeBackends, openRunner, type Scratch } from "../support/db";

const DEMO_PASSWORD = "a-demo-password";
const TABLES = ["AuditEvent", "Consult", "Device", "Event", "File", "Invite", "Message", "Participant", "User", "_prisma_migrations"];

type MigrationRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null; applied_steps_count: number };

async function migrationRows(open: OpenDatabase): Promise<MigrationRow[]> {
  return open.db.$queryRawUnsafe<MigrationRow[]>(`SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
}

async function tables(open: OpenDatabase): Promise<string[]> {
  const rows = await open.db.$queryRawUnsafe<{ table_name: string }[]>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
  return rows.map((r) => r.table_name);
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describeBackends("migrations and seeding", (kind) => {
  let scratch: Scratch;
  const files = readMigrations();

  beforeAll(async () => {
    scratch = await createScratch(kind);
  });
  afterAll(async () => {
    await scratch.dispose();
  });

  const open = (seed = true) => openDatabase({ databaseUrl: scratch.databaseUrl, dataDir: scratch.dataDir, seed: seed ? { password: DEMO_PASSWORD } : undefined });

  it("apply every migration on an empty database and seed the two demo accounts", async () => {
    expect(files.length).toBeGreaterThan(0);
    const o = await open();
    try {
      expect(o.kind).toBe(kind === "postgres" ? "postgres" : "embedded");
      expect(await tables(o)).toEqual(expect.arrayContaining(TABLES));
      const rows = await migrationRows(o);
      expect(rows.map((r) => r.migration_name)).toEqual(files.map((m) => m.name));
      for (const [i, r] of rows.entries()) {
        expect(r.finished_at).not.toBeNull();
        expect(r.rolled_back_at).toBeNull();
        expect(r.applied_steps_count).toBe(1);
        // Prisma's checksum: SHA-256 hex of migration.sql, so `prisma migrate deploy` agrees.
        expect(r.checksum).toBe(sha256(files[i]?.sql ?? ""));
      }

      const users = await o.db.user.findMany({ orderBy: { email: "asc" } });
      expect(users.map((u) => [u.email, u.role])).toEqual([
        ["admin@parley.test", "admin"],
        ["doctor@parley.test", "doctor"],
      ]);
      for (const u of users) {
        expect(u.disabledAt).toBeNull();
        expect(await verifyPassword(DEMO_PASSWORD, u.passwordHash ?? "")).toBe(true);
        expect(await verifyPassword("parley-demo", u.passwordHash ?? "")).toBe(false);
      }
      expect(await o.db.auditEvent.count({ where: { action: "demo.seeded" } })).toBe(1);
      expect(DEMO_ACCOUNTS.map((a) => a.email).sort()).toEqual(users.map((u) => u.email));
    } finally {
      await o.close();
    }
  });

  it("re-opening applies nothing and seeds nothing again", async () => {
    const o = await open();
    try {
      const rows = await migrationRows(o);
      expect(rows).toHaveLength(files.length);
      expect(await o.db.user.count()).toBe(2);
      expect(await o.db.auditEvent.count({ where: { action: "demo.seeded" } })).toBe(1);
      expect(await seedDemo(o.db, DEMO_PASSWORD)).toBe(false);
      expect(await o.db.user.count()).toBe(2);
    } finally {
      await o.close();
    }
  });

  it("migrate() on an up-to-date database reports nothing applied", async () => {
    const runner = await openRunner(scratch);
    try {
      expect(await migrate(runner, files)).toEqual({ applied: [] });
      const [{ n } = { n: -1 }] = await runner.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(n).toBe(files.length);
    } finally {
      await runner.close();
    }
  });

  it("refuses a migration edited after it was applied (checksum) and changes nothing", async () => {
    const first = files[0];
    if (!first) throw new Error("no migrations");
    const sql = `${first.sql}\n-- edited afterwards\n`;
    const edited: Migration[] = [{ ...first, sql, checksum: sha256(sql) }, ...files.slice(1)];
    const runner = await openRunner(scratch);
    try {
      await expect(migrate(runner, edited)).rejects.toThrow(new RegExp(`${first.name}.*changed after it was applied`));
      const rows = await runner.query<{ checksum: string }>(`SELECT checksum FROM "_prisma_migrations" WHERE migration_name = $1`, [first.name]);
      expect(rows).toEqual([{ checksum: first.checksum }]);
      // The advisory lock was released: a normal run still goes through.
      expect(await migrate(runner, files)).toEqual({ applied: [] });
    } finally {
      await runner.close();
    }
  });

  it("a failing migration is rolled back entirely, reported by name, and not recorded", async () => {
    const broken: Migration = {
      name: "99999999999999_broken",
      sql: 'CREATE TABLE "MigrationProbe" ("id" INTEGER);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;',
      checksum: "0".repeat(64),
    };
    const runner = await openRunner(scratch);
    try {
      await expect(migrate(runner, [...files, broken])).rejects.toThrow(/99999999999999_broken failed[\s\S]*NoSuchTable/);
      const probe = await runner.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'MigrationProbe'`);
      expect(probe).toEqual([]);
      const rows = await runner.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1`, [broken.name]);
      expect(rows).toEqual([]);
      expect(await migrate(runner, files)).toEqual({ applied: [] });
    } finally {
      await runner.close();
    }
  });

  it("refuses to continue past a migration that failed earlier (finished_at null)", async () => {
    const half: Migration = { name: "99999999999998_half_done", sql: "SELECT 1;", checksum: sha256("SELECT 1;") };
    const runner = await openRunner(scratch);
    try {
      await runner.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('00000000-0000-4000-8000-000000000001', $1, NULL, $2, 0)`, [
        half.checksum,
        half.name,
      ]);
      await expect(migrate(runner, [...files, half])).rejects.toThrow(/99999999999998_half_done failed earlier/);
      await runner.query(`DELETE FROM "_prisma_migrations" WHERE migration_name = $1`, [half.name]);
    } finally {
      await runner.close();
    }
  });

  it("seeds nothing into a database that already has users", async () => {
    const o = await open(false);
    try {
      await o.db.user.deleteMany({ where: { email: "admin@parley.test" } });
      expect(await seedDemo(o.db, DEMO_PASSWORD)).toBe(false);
      expect(await o.db.user.count()).toBe(1);
    } finally {
      await o.close();
    }
  });

  if (kind === "postgres") {
    it("two instances migrating an empty database at once both succeed; each migration is applied once", async () => {
      const fresh = await createScratch("postgres");
      try {
        const opts = { databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir };
        const both = await Promise.all([openDatabase(opts), openDatabase(opts), openDatabase(opts)]);
        try {
          const [a] = both;
          if (!a) throw new Error("unreachable");
          expect((await migrationRows(a)).map((r) => r.migration_name)).toEqual(files.map((m) => m.name));
        } finally {
          await Promise.all(both.map((o) => o.close()));
        }
      } finally {
        await fresh.dispose();
      }
    });

    // Regression: seeding used to check "no users yet" outside any lock, so two instances starting
    // together on an empty database both inserted the demo accounts and one died on User_email_key.
    it("two instances seeding an empty database at once both start, with one set of demo accounts", async () => {
      const fresh = await createScratch("postgres");
      try {
        const opts = { databaseUrl: fresh.databaseUrl, dataDir: fresh.dataDir, seed: { password: DEMO_PASSWORD } };
        const results = await Promise.allSettled([openDatabase(opts), openDatabase(opts)]);
        const opened = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
        try {
          expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
          expect(await opened[0]?.db.user.count()).toBe(2);
        } finally {
          await Promise.all(opened.map((o) => o.close()));
        }
      } finally {
        await fresh.dispose();
      }
    });
  }
});
