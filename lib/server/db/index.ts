import "server-only";
// The one data-access module: it alone decides between the embedded database (in-process PGlite
// in DATA_DIR, when DATABASE_URL is unset) and a real PostgreSQL (through @prisma/adapter-pg).
// Nothing else in the app knows which one it talks to. Opened on first use, never at import
// (next build imports modules), migrated and seeded before first use, one per process.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";
import { migrate, type SqlRunner } from "./migrate";
import { seedDemo } from "./seed";
import { getServerEnv } from "../env";
import { getNotifier } from "../events/notifier";

export type Db = PrismaClient;
export type { Prisma } from "./generated/client";

export type DatabaseOptions = {
  /** a postgresql:// URL, or undefined for embedded PGlite in `dataDir` */
  databaseUrl: string | undefined;
  /** migrations and LISTEN use this direct connection when `databaseUrl` goes through a pooler */
  directUrl?: string | undefined;
  dataDir: string;
  seed?: { password: string } | undefined;
};

export type OpenDatabase = {
  db: Db;
  kind: "postgres" | "embedded";
  /** a raw connection string for LISTEN/NOTIFY, when the database is a real server */
  databaseUrl: string | undefined;
  close(): Promise<void>;
};

export async function openDatabase(opts: DatabaseOptions): Promise<OpenDatabase> {
  let open: OpenDatabase;
  if (opts.databaseUrl) {
    const url = opts.databaseUrl;
    const direct = opts.directUrl ?? url;
    const client = new pg.Client({ connectionString: direct });
    await client.connect();
    try {
      await migrate(pgRunner(client));
    } finally {
      await client.end();
    }
    const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
    open = { db, kind: "postgres", databaseUrl: direct, close: () => db.$disconnect() };
  } else {
    open = await openEmbedded(opts.dataDir);
  }
  if (opts.seed) await seedDemo(open.db, opts.seed.password);
  return open;
}

async function openEmbedded(dataDir: string): Promise<OpenDatabase> {
  const dir = path.join(dataDir, "pglite");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const releaseLock = lockDataDir(dataDir);
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    const lite = await PGlite.create(dir);
    await migrate({
      query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
      exec: async (sql) => {
        await lite.exec(sql);
      },
    });
    const db = new PrismaClient({ adapter: new PrismaPGlite(lite) });
    return {
      db,
      kind: "embedded",
      databaseUrl: undefined,
      close: async () => {
        await db.$disconnect();
        await lite.close();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/** PGlite allows one process per data folder: refuse a second one clearly instead of corrupting it. */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, "pglite.pid");
  try {
    const pid = Number(readFileSync(file, "utf8"));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(`The embedded database in ${dataDir} is in use by process ${pid}. Stop it, or give this one another DATA_DIR.`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  writeFileSync(file, String(process.pid));
  const release = () => rmSync(file, { force: true });
  process.once("exit", release);
  return () => {
    process.off("exit", release);
    release();
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function pgRunner(client: pg.Client): SqlRunner {
  return {
    query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => (await client.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

const g = globalThis as { __parleyDb?: Promise<OpenDatabase> };

/** The process's database, opened, migrated and seeded on first use. */
export function getDatabase(): Promise<OpenDatabase> {
  if (process.env.NEXT_PHASE === "phase-production-build") {
    // Every page is dynamic; one that reaches the database while `next build` prerenders is a bug
    // (and would hold the embedded database's lock from a build worker).
    return Promise.reject(new Error("The database is not opened during `next build`: make this page dynamic"));
  }
  if (!g.__parleyDb) {
    const env = getServerEnv();
    g.__parleyDb = openDatabase({
      databaseUrl: env.databaseUrl,
      directUrl: env.directDatabaseUrl,
      dataDir: env.dataDir,
      seed: env.seedDemo ? { password: env.demoPassword } : undefined,
    });
    g.__parleyDb.then(
      (open) => getNotifier().useDatabase(open.databaseUrl, env.eventsListen),
      () => undefined,
    );
    g.__parleyDb.catch(() => {
      g.__parleyDb = undefined; // let the next request try again
    });
  }
  return g.__parleyDb;
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}
