// prisma/migrations must build exactly prisma/schema.prisma (scripts/db-diff.ts, Prisma's WASM
// schema engine over an in-memory PGlite). The other cases prove the check can fail.
import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { diffMigrationsAgainstSchema, readMigrations, SCHEMA_PATH } from "../../scripts/db-diff";

// Each diff starts a PGlite and, the first time, compiles the engine: slow, hence the timeout.
const SLOW = { timeout: 60_000 };

describe("schema drift", () => {
  it("prisma/migrations matches prisma/schema.prisma", SLOW, async () => {
    const sql = await diffMigrationsAgainstSchema();
    expect(sql, `migrations lag behind the schema; run \`npx tsx scripts/db-diff.ts\`:\n${sql}`).toBe("");
  });

  it("reports a model the migrations do not create", SLOW, async () => {
    const schema = `${readFileSync(SCHEMA_PATH, "utf8")}\nmodel DriftProbe {\n  id Int @id\n}\n`;
    const sql = await diffMigrationsAgainstSchema({ schema });
    expect(sql).toContain('CREATE TABLE "DriftProbe"');
  });

  it("reports a table a migration lost", SLOW, async () => {
    const migrations = readMigrations();
    // The newest migration that creates a table (Prisma starts each step with a "-- Step" comment line).
    const at = migrations.findLastIndex((m) => m.sql.includes("-- CreateTable\n"));
    const last = migrations[at];
    if (!last) throw new Error("no migration in prisma/migrations creates a table");
    // Drop its last "-- CreateTable" block.
    const blocks = last.sql.split(/\n\n(?=-- )/);
    const i = blocks.findLastIndex((b) => b.startsWith("-- CreateTable\n"));
    expect(i).toBeGreaterThanOrEqual(0);
    const table = /CREATE TABLE "([^"]+)"/.exec(blocks[i] ?? "")?.[1];
    // Its indexes and foreign keys must go too, or the migration would not apply.
    const sql = blocks.filter((b, j) => j !== i && !b.includes(`ON "${table}"(`) && !b.includes(`ALTER TABLE "${table}"`)).join("\n\n");
    const diff = await diffMigrationsAgainstSchema({ migrations: migrations.map((m, j) => (j === at ? { ...m, sql } : m)) });
    expect(diff).toContain(`CREATE TABLE "${table}"`);
  });

  it("fails loudly on a migration that does not apply", SLOW, async () => {
    const migrations = [...readMigrations(), { name: "99999999999999_broken", sql: 'ALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;' }];
    await expect(diffMigrationsAgainstSchema({ migrations })).rejects.toThrow(/99999999999999_broken[\s\S]*NoSuchTable/);
  });
});
