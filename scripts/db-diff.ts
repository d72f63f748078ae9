// Migration drift check, offline: `npx tsx scripts/db-diff.ts [--check]`.
//
// Applies every prisma/migrations/*/migration.sql, in name order, to a fresh in-memory PGlite and
// asks Prisma's own schema engine for the SQL that takes that database to prisma/schema.prisma:
// the same as `prisma migrate diff --from-migrations prisma/migrations --to-schema
// prisma/schema.prisma --script`, which needs a native engine this machine cannot download.
//
//   (no flag)  print that SQL: the body of the next migration. Save it as
//              prisma/migrations/<yyyymmddhhmmss>_<name>/migration.sql.
//   --check    exit 1 and print the SQL if there is any (drift), else print "no drift".
//
// The engine is the WASM build published on npm (@prisma/schema-engine-wasm), driven through a
// driver adapter (pglite-prisma-adapter). Both are internal APIs: the package is pinned to an exact
// version and tests/integration/schema-drift.test.ts covers this file.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { PGlite } from "@electric-sql/pglite";
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import * as engineGlue from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PrismaPGlite } from "pglite-prisma-adapter";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA_PATH = join(ROOT, "prisma", "schema.prisma");
export const MIGRATIONS_DIR = join(ROOT, "prisma", "migrations");
const LOCKFILE = "migration_lock.toml";

/** One migration folder: `name` is the folder (e.g. 20261122000000_init), `sql` its migration.sql. */
export interface Migration {
  name: string;
  sql: string;
}

export interface DiffOptions {
  /** Prisma schema text; default: prisma/schema.prisma. */
  schema?: string;
  /** Migrations to apply, in order; default: readMigrations(). */
  migrations?: readonly Migration[];
}

/** The migration folders of `dir`, sorted by name as Prisma sorts them. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, sql: readFileSync(join(dir, name, "migration.sql"), "utf8") }));
}

/**
 * The SQL that takes a database built from `migrations` to `schema`; "" when there is none.
 * Each call uses its own in-memory PGlite and engine instance, so each call is slow to start.
 */
export async function diffMigrationsAgainstSchema(options: DiffOptions = {}): Promise<string> {
  const schema = options.schema ?? readFileSync(SCHEMA_PATH, "utf8");
  const migrations = options.migrations ?? readMigrations();
  const glue = await loadEngine();

  const db = new PGlite(); // in-memory
  const adapterFactory = bindMigrationAwareSqlAdapterFactory(pgliteFactory(db));
  let engine: SchemaEngine | undefined;
  try {
    engine = await glue.SchemaEngine.new({ datamodels: undefined }, () => {}, adapterFactory);
    const migrationList: MigrationList = {
      baseDir: MIGRATIONS_DIR, // only used in messages: the contents are passed inline
      lockfile: { path: LOCKFILE, content: readLockfile() },
      shadowDbInitScript: "",
      migrationDirectories: migrations.map((m) => ({
        path: m.name,
        migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
      })),
    };
    // `from: migrations` makes the engine apply them, one script each, to its shadow database
    // (here the same fresh PGlite), read the result back and diff it against `to`.
    // `exitCode: true` makes the engine answer 2 when the diff is not empty: with `script: true`
    // an empty diff is not an empty string but "-- This is an empty migration.".
    const result = await engine.diff({
      from: { tag: "migrations", ...migrationList },
      to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_PATH, content: schema }] },
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.exitCode === 0 ? "" : (result.stdout ?? "");
  } catch (error) {
    throw explainEngineError(error, adapterFactory.errorRegistry);
  } finally {
    engine?.free();
    await db.close();
  }
}

/**
 * A migration-aware adapter factory over one PGlite. For a migrations → schema diff the engine
 * works only in the shadow database, so the "main" connection and the shadow share the instance.
 */
function pgliteFactory(db: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const connect = async (): Promise<SqlDriverAdapter> => {
    const adapter: SqlDriverAdapter = await new PrismaPGlite(db).connect();
    // pglite-prisma-adapter 0.7.2's executeScript does not await PGlite's exec(): a migration that
    // fails becomes an unhandled rejection and the engine carries on with an empty database.
    // Await it, so the engine reports "Migration … failed to apply cleanly" (P3006).
    adapter.executeScript = async (script: string): Promise<void> => {
      await db.exec(script);
    };
    return adapter;
  };
  return {
    provider: "postgres",
    adapterName: "pglite-prisma-adapter",
    connect,
    connectToShadowDb: connect,
  };
}

function readLockfile(): string | null {
  try {
    return readFileSync(join(MIGRATIONS_DIR, LOCKFILE), "utf8");
  } catch {
    return null;
  }
}

/** The engine reports adapter failures as "External error id#N": put the database's own message back. */
function explainEngineError(error: unknown, registry: { consumeError(id: number): { error: unknown } | undefined }): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  const id = /External error id#(\d+)/.exec(err.message)?.[1];
  const cause = id === undefined ? undefined : registry.consumeError(Number(id))?.error;
  const code = (err as { code?: unknown }).code;
  const parts = [typeof code === "string" ? `${code}: ${err.message}` : err.message];
  if (cause !== undefined) parts.push(`Database error: ${cause instanceof Error ? cause.message : JSON.stringify(cause)}`);
  if (lastPanic) parts.push(`Engine panic: ${lastPanic}`);
  return new Error(parts.join("\n"), { cause: cause ?? error });
}

// --- Loading the WASM engine -------------------------------------------------------------------
// The package's main entry imports the .wasm file as an ES module, which Node 20 cannot do without
// --experimental-wasm-modules. So: import the wasm-bindgen glue (its "./schema_engine_bg" export),
// instantiate the .wasm next to it with the glue as its import object, and hand the instance back
// to the glue, exactly as that main entry does. The glue holds one instance per process.

let lastPanic: string | undefined;
let loading: Promise<typeof engineGlue> | undefined;

function loadEngine(): Promise<typeof engineGlue> {
  loading ??= (async () => {
    // The glue reports Rust panics through this global (Prisma's CLI installs the same).
    const g = globalThis as unknown as Record<string, unknown>;
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const gluePath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = readFileSync(join(dirname(gluePath), "schema_engine_bg.wasm"));
    const wasmModule = await WebAssembly.compile(bytes);
    const imports = { "./schema_engine_bg.js": engineGlue as unknown as WebAssembly.ModuleImports };
    const instance = await WebAssembly.instantiate(wasmModule, imports);
    engineGlue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    return engineGlue;
  })();
  return loading;
}

// --- CLI ------------------------------------------------------------------------------------------

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    process.stderr.write(`usage: npx tsx scripts/db-diff.ts [--check]\nunknown argument: ${unknown.join(" ")}\n`);
    return 2;
  }
  const sql = await diffMigrationsAgainstSchema();
  if (argv.includes("--check")) {
    if (sql === "") {
      process.stdout.write("no drift\n");
      return 0;
    }
    process.stderr.write("drift: prisma/migrations does not produce prisma/schema.prisma. Missing SQL:\n\n");
    process.stdout.write(sql);
    return 1;
  }
  if (sql === "") process.stderr.write("-- no changes: prisma/migrations already matches prisma/schema.prisma\n");
  else process.stdout.write(sql);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
