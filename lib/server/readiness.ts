import "server-only";
// Readiness for a load balancer or an orchestrator (`/api/ready`): the database answers a query
// and the object store answers a lookup in its bucket, each within a time limit. `/api/health`
// only says the process is alive, so a slow database does not get the container restarted.
import type { Db } from "./db";
import type { BlobStore } from "./storage/types";

/** `database` and `store`: "ok", or what failed */
export type Readiness = { ready: boolean; database: string; store: string };

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Asks both; the reasons say what failed, never a secret (no URLs, no keys). */
export async function checkReadiness(db: Pick<Db, "$queryRaw">, store: Pick<BlobStore, "probe" | "kind">, timeoutMs = 3_000): Promise<Readiness> {
  const [database, blobs] = await Promise.all([
    within(timeoutMs, db.$queryRaw`SELECT 1`).then(
      () => "ok" as const,
      (err: Error) => `unreachable: ${err.name === "Error" ? err.message : err.name}`,
    ),
    within(timeoutMs, store.probe()).then(
      () => "ok" as const,
      (err: Error) => `${store.kind} store unreachable: ${err.name === "Error" ? err.message : err.name}`,
    ),
  ]);
  return { ready: database === "ok" && blobs === "ok", database, store: blobs };
}
