// Applies the committed SQL migrations in prisma/migrations (Prisma's own layout), offline.
// The bookkeeping table is Prisma's `_prisma_migrations` with Prisma's checksum (SHA-256 hex of
// migration.sql), so a deployment can switch to `prisma migrate deploy` at any time and see the
// same history. A migration that was edited after it was applied is refused, not re-run.
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";

/** The two calls the runner needs; implemented over pg.Client and over PGlite. */
export interface SqlRunner {
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** runs a script of several statements */
  exec(sql: string): Promise<void>;
}

export type Migration = { name: string; sql: string; checksum: string };

export const MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  // The folder is shipped through outputFileTracingIncludes (next.config.mjs), not by tracing.
  if (!existsSync(/*turbopackIgnore: true*/ dir)) throw new Error(`No migrations folder at ${dir}`);
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma's own advisory lock key, so this runner and `prisma migrate deploy` never overlap. */
const LOCK_KEY = 72707369;

export type MigrateResult = { applied: string[] };

export async function migrate(db: SqlRunner, migrations: Migration[] = readMigrations()): Promise<MigrateResult> {
  await db.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
  try {
    // Only when missing: a role that may not create tables (docs/deploy/app-role.sql) still boots
    // on a database its owner has migrated.
    const [exists] = await db.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
    if (!exists?.t) await db.exec(BOOKKEEPING);
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const done = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    const applied: string[] = [];
    for (const m of migrations) {
      const row = done.get(m.name);
      if (row) {
        if (row.finished_at === null) {
          throw new Error(`Migration ${m.name} failed earlier and needs a person: fix the database, then mark it rolled back`);
        }
        if (row.checksum !== m.checksum) {
          throw new Error(`Migration ${m.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      const id = randomUUID();
      await db.exec("BEGIN");
      try {
        await db.exec(m.sql);
        await db.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`, [id, m.checksum, m.name]);
        await db.exec("COMMIT");
      } catch (err) {
        await db.exec("ROLLBACK");
        throw new Error(`Migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.name);
    }
    return { applied };
  } finally {
    await db.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]);
  }
}
