import "server-only";
// What the server deletes because nobody needs it any more: call signals, presence and read
// receipts past their use (never messages, documents or the audit log), uploads abandoned half-way
// (their parts in the store too), unanswered passkey challenges and sign-in counts long forgotten.
// A long-running server does this as it goes (event streams, uploads, sign-ins); on a serverless
// platform nothing runs between requests, so /api/cron/cleanup runs it on a schedule (vercel.json).
import type { Db } from "./db";
import { FORGET_AFTER_MS } from "./auth/backoff";
import { deleteOldSignals } from "./events/log";
import { sweepAbandonedUploads } from "./files";
import type { BlobStore } from "./storage/types";

export type CleanupReport = { signals: number; uploads: number; challenges: number; throttles: number };

export async function runCleanup(db: Db, store: BlobStore, now = new Date()): Promise<CleanupReport> {
  const [signals, uploads, challenges, throttles] = await Promise.all([
    deleteOldSignals(db, now),
    sweepAbandonedUploads(db, store, { now }),
    db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: now } } }).then((r) => r.count),
    db.signInThrottle.deleteMany({ where: { lastFailureAt: { lt: new Date(now.getTime() - FORGET_AFTER_MS) } } }).then((r) => r.count),
  ]);
  return { signals, uploads, challenges, throttles };
}
