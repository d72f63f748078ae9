import "server-only";
// The periodic access re-check of open event streams, coalesced: every stream re-reads its
// caller's rows at least once per poll interval (2 s), which with 100 open streams was 50 queries a
// second. Requests that arrive within a short window (a tenth of the poll interval, at most 200 ms)
// share one query. Nothing is cached: each answer comes from a query that started after it was asked.
import type { Db } from "../db";
import { loadConsultAccessMany, type AccessKey, type ConsultAccess } from "../authz";

type Waiting = AccessKey & { resolve(a: ConsultAccess | undefined): void; reject(err: unknown): void };

const MAX_BATCH = 200;
const queues = new Map<Db, { waiting: Waiting[]; timer: ReturnType<typeof setTimeout> }>();

export function recheckWindowMs(pollMs: number): number {
  return Math.max(0, Math.min(200, Math.floor(pollMs / 10)));
}

async function flush(db: Db, waiting: Waiting[]): Promise<void> {
  for (let i = 0; i < waiting.length; i += MAX_BATCH) {
    const batch = waiting.slice(i, i + MAX_BATCH);
    try {
      const answers = await loadConsultAccessMany(db, batch);
      batch.forEach((w, j) => w.resolve(answers[j]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}

/** The caller's current access, read by a query shared with other streams asking within `windowMs`. */
export function recheckAccess(db: Db, key: AccessKey, windowMs: number): Promise<ConsultAccess | undefined> {
  return new Promise((resolve, reject) => {
    let q = queues.get(db);
    if (!q) {
      const entry = {
        waiting: [] as Waiting[],
        timer: setTimeout(() => {
          queues.delete(db);
          void flush(db, entry.waiting);
        }, windowMs),
      };
      q = entry;
      queues.set(db, q);
    }
    q.waiting.push({ ...key, resolve, reject });
  });
}
