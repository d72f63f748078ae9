// Integration-test databases: every suite runs against both backends Parley supports.
//   postgres  a fresh database (`parley_t_<random>`) created on the server of TEST_DATABASE_URL
//             (scripts/test.sh starts one), dropped afterwards, so files and runs never collide;
//   embedded  PGlite in a fresh temp DATA_DIR, exactly as the embedded default opens it.
// Both go through the real openDatabase() (lib/server/db), so both run the real migrations.
import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";

import { openDatabase, type Db, type OpenDatabase } from "@/lib/server/db";
import type { SqlRunner } from "@/lib/server/db/migrate";
import { loadConsultAccess, type ConsultAccess } from "@/lib/server/authz";
import { ApiError } from "@/lib/server/errors";

export type BackendKind = "postgres" | "embedded";

export const TEST_AUTH_SECRET = "integration-test-auth-secret-0123456789abcdef";

/** Settings for modules that call getServerEnv() (invites use AUTH_SECRET). Call at the top of a test file. */
export function setupTestEnv(): void {
  const dir = mkdtempSync(path.join(tmpdir(), "parley-it-env-"));
  process.env.AUTH_SECRET = TEST_AUTH_SECRET;
  process.env.DATA_DIR = dir;
  delete process.env.DATABASE_URL;
  delete process.env.SEED_DEMO;
  delete (globalThis as { __parleyEnv?: unknown }).__parleyEnv;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
}

const serverUrl = process.env.TEST_DATABASE_URL || undefined;

/**
 * Declares `suite` once per backend. The PostgreSQL half is skipped, with the reason in its name,
 * only when TEST_DATABASE_URL is unset (`npm test` always sets it).
 */
export function describeBackends(title: string, suite: (kind: BackendKind) => void): void {
  if (serverUrl) {
    describe(`${title} [postgres]`, () => suite("postgres"));
  } else {
    describe.skip(`${title} [postgres] — SKIPPED: TEST_DATABASE_URL is not set (start one with scripts/pg-cluster.sh)`, () => suite("postgres"));
  }
  describe(`${title} [embedded]`, () => suite("embedded"));
}

/** An empty place for a database: its URL (postgres) or DATA_DIR (embedded), and how to throw it away. */
export type Scratch = {
  kind: BackendKind;
  databaseUrl: string | undefined;
  dataDir: string;
  dispose(): Promise<void>;
};

/**
 * A scratch database. `pristine` (embedded only) copies a freshly initialised, empty PGlite cluster
 * into the new DATA_DIR instead of letting PGlite run its slow initdb there each time;
 * openDatabase() then migrates it as it would any empty database. The migration tests themselves
 * start from nothing.
 */
export async function createScratch(kind: BackendKind, opts: { pristine?: boolean } = {}): Promise<Scratch> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `parley-it-${kind}-`));
  if (kind === "embedded") {
    if (opts.pristine) cpSync(await pristineCluster(), path.join(dataDir, "pglite"), { recursive: true });
    const dispose = () => {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    };
    return { kind, databaseUrl: undefined, dataDir, dispose };
  }
  if (!serverUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `parley_t_${randomBytes(6).toString("hex")}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    databaseUrl: url.toString(),
    dataDir,
    dispose: async () => {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An initialised, never-used PGlite data directory, made once per PGlite version and shared read-only. */
async function pristineCluster(): Promise<string> {
  const version = (JSON.parse(readFileSync(path.join(process.cwd(), "node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string }).version;
  const dir = path.join(tmpdir(), `parley-pglite-pristine-${version}`);
  if (existsSync(path.join(dir, "PG_VERSION"))) return dir;
  const staging = mkdtempSync(path.join(tmpdir(), "parley-pglite-staging-"));
  const { PGlite } = await import("@electric-sql/pglite");
  const lite = await PGlite.create(path.join(staging, "pglite"));
  await lite.close();
  try {
    renameSync(path.join(staging, "pglite"), dir); // atomic: a concurrent run may have won, that is fine
  } catch {
    if (!existsSync(path.join(dir, "PG_VERSION"))) throw new Error(`could not prepare ${dir}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export type TestDb = OpenDatabase & { scratch: Scratch };

/** A migrated database of this kind for the enclosing describe block; closed and dropped after it. */
export function setupDatabase(kind: BackendKind, opts: { seed?: { password: string } } = {}): { readonly db: Db; readonly open: TestDb } {
  let open: TestDb | undefined;
  beforeAll(async () => {
    const scratch = await createScratch(kind, { pristine: true });
    const o = await openDatabase({ databaseUrl: scratch.databaseUrl, dataDir: scratch.dataDir, seed: opts.seed });
    open = { ...o, scratch };
  });
  afterAll(async () => {
    if (!open) return;
    await open.close();
    await open.scratch.dispose();
  });
  return {
    get db(): Db {
      if (!open) throw new Error("database not open yet");
      return open.db;
    },
    get open(): TestDb {
      if (!open) throw new Error("database not open yet");
      return open;
    },
  };
}

/** A raw SQL runner for migrate(), over pg or a PGlite opened on the scratch's DATA_DIR. */
export async function openRunner(scratch: Scratch): Promise<SqlRunner & { close(): Promise<void> }> {
  if (scratch.databaseUrl) {
    const client = new pg.Client({ connectionString: scratch.databaseUrl });
    await client.connect();
    return {
      query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => (await client.query<T>(sql, params)).rows,
      exec: async (sql: string) => {
        await client.query(sql);
      },
      close: () => client.end(),
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const lite = await PGlite.create(path.join(scratch.dataDir, "pglite"));
  return {
    query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
    exec: async (sql: string) => {
      await lite.exec(sql);
    },
    close: () => lite.close(),
  };
}

// ---- fixtures through the real modules ----

export type Staff = { id: string; name: string; email: string; role: "doctor" | "admin" };

export async function createStaff(db: Db, role: "doctor" | "admin" = "doctor"): Promise<Staff> {
  const email = `${role}-${randomUUID()}@parley.test`;
  // A password hash that never verifies: staff without one are "pending" and authz refuses them.
  const u = await db.user.create({ data: { email, name: `Dr. ${email.slice(7, 13)}`, role, passwordHash: "test-account-not-for-sign-in" } });
  return { id: u.id, name: u.name, email, role };
}

/** The token at the end of an invite URL. */
export function tokenFromUrl(url: string): string {
  const token = /\/join\/([A-Za-z0-9_-]{43})$/.exec(url)?.[1];
  if (!token) throw new Error(`not an invite URL: ${url}`);
  return token;
}

export const ORIGIN = "https://parley.test";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The access a user has to a consult, as the authorization layer loads it; throws when none. */
export async function accessOf(db: Db, userId: string, consultId: string): Promise<ConsultAccess> {
  const a = await loadConsultAccess(db, userId, consultId);
  if (!a) throw new Error(`user ${userId} has no access to ${consultId}`);
  return a;
}

/** The ApiError code a call was refused with; fails the test when it was not refused that way. */
export async function apiErrorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
  throw new Error("expected an ApiError");
}
