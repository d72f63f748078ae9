import "server-only";
// Retention (issue 22, item 5): with RETENTION_DAYS set, the chat and documents of a consult that
// ended longer ago than that are deleted, from the database and from the store; the consult's
// metadata and its audit trail stay. A consult under a legal hold (legal-hold.ts) is never touched.
// Runs with the scheduled clean-up (cleanup.ts: a timer under `npm start`, /api/cron/cleanup on a
// platform scheduler).
//
// Several instances may run it at once. Each consult is *claimed* first (one conditional UPDATE, so
// exactly one instance wins it), and each document row is deleted with a conditional delete whose
// count says who deleted it: every message and document is deleted, and counted in the audit
// trail, once. A document is deleted from the store first and its absence checked there before its
// row goes; a store that fails leaves the row for the next run, which tries again.
import type { Db } from "./db";
import { audit } from "./audit";
import { dropFromStore } from "./files";
import { errField, getLog } from "./log";
import type { BlobStore } from "./storage/types";

export const DAY_MS = 86_400_000;
/** A claim older than this is an instance that died mid-way: another may take the consult over. */
export const CLAIM_TTL_MS = 15 * 60_000;
/** Consults per run; the rest wait for the next one. */
export const RETENTION_BATCH = 50;

export type RetentionReport = {
  /** consults whose chat and documents are now all gone */
  consults: number;
  messages: number;
  documents: number;
  /** ciphertext bytes deleted from the store */
  bytes: number;
  /** documents the store failed to delete (or still had afterwards): tried again next run */
  storeFailures: number;
};

const none = (): RetentionReport => ({ consults: 0, messages: 0, documents: 0, bytes: 0, storeFailures: 0 });

/** The consults due: ended before the cutoff, not held, not yet purged. */
async function dueConsults(db: Db, cutoff: Date): Promise<string[]> {
  const rows = await db.consult.findMany({
    where: { endedAt: { lt: cutoff }, heldAt: null, purgedAt: null },
    orderBy: { endedAt: "asc" },
    take: RETENTION_BATCH,
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Takes the consult for this instance; false when another has it, or it was held or purged meanwhile. */
async function claim(db: Db, consultId: string, cutoff: Date, now: Date): Promise<boolean> {
  const r = await db.consult.updateMany({
    where: {
      id: consultId,
      endedAt: { lt: cutoff },
      heldAt: null,
      purgedAt: null,
      OR: [{ purgeClaimedAt: null }, { purgeClaimedAt: { lt: new Date(now.getTime() - CLAIM_TTL_MS) } }],
    },
    data: { purgeClaimedAt: now },
  });
  return r.count === 1;
}

export async function runRetention(db: Db, store: BlobStore, days: number | undefined, now = new Date()): Promise<RetentionReport> {
  const report = none();
  if (!days) return report;
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  for (const consultId of await dueConsults(db, cutoff)) {
    if (!(await claim(db, consultId, cutoff, now))) continue;
    const r = await purgeConsult(db, store, consultId, now);
    report.consults += r.done ? 1 : 0;
    report.messages += r.messages;
    report.documents += r.documents;
    report.bytes += r.bytes;
    report.storeFailures += r.storeFailures;
  }
  return report;
}

type Purge = { done: boolean; messages: number; documents: number; bytes: number; storeFailures: number };

async function purgeConsult(db: Db, store: BlobStore, consultId: string, now: Date): Promise<Purge> {
  const out: Purge = { done: false, messages: 0, documents: 0, bytes: 0, storeFailures: 0 };
  const files = await db.file.findMany({ where: { consultId }, select: { id: true, storageKey: true, uploadId: true, sizeBytes: true } });
  for (const f of files) {
    try {
      await dropFromStore(store, f);
      if ((await store.size(f.storageKey)) !== undefined) throw new Error("the store still has the object after deleting it");
    } catch (err) {
      out.storeFailures++;
      getLog().warn({ consultId, fileId: f.id, err: errField(err) }, "retention: a document could not be deleted from the store; trying again next run");
      continue;
    }
    const { count } = await db.file.deleteMany({ where: { id: f.id } });
    out.documents += count;
    if (count) out.bytes += Number(f.sizeBytes);
  }
  out.done = out.storeFailures === 0;
  await db.$transaction(async (tx) => {
    const { count } = await tx.message.deleteMany({ where: { consultId } });
    out.messages = count;
    await tx.event.deleteMany({ where: { consultId, kind: { in: ["message", "file"] } } });
    const copies = await tx.keyCopy.deleteMany({ where: { consultId } });
    await tx.consult.update({ where: { id: consultId }, data: { purgeClaimedAt: null, ...(out.done ? { purgedAt: now } : {}) } });
    await audit(
      {
        action: "retention.purged",
        consultId,
        detail: { messages: out.messages, documents: out.documents, bytes: out.bytes, keyCopies: copies.count, complete: out.done, storeFailures: out.storeFailures },
      },
      tx,
    );
  });
  return out;
}
