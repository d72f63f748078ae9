import "server-only";
// What the server deletes because nobody needs it any more: call signals, presence and read
// receipts after an hour, the chat and documents of consults past RETENTION_DAYS (retention.ts;
// never under a legal hold, never the audit trail), uploads abandoned half-way
// (their parts in the store too), unanswered passkey challenges, sign-in counts long forgotten and
// abuse-limit counts of windows that have ended. A long-running server runs it every few minutes
// (cleanup-schedule.ts, started by boot.ts); on a serverless platform nothing runs between
// requests, so /api/cron/cleanup runs it on a schedule (vercel.json).
import type { Db } from "./db";
import { FORGET_AFTER_MS } from "./auth/backoff";
import { deleteOldSignals } from "./events/log";
import { sweepAbandonedUploads } from "./files";
import { RATE_FORGET_AFTER_MS } from "./rate-limits";
import type { BlobStore } from "./storage/types";
import { runRetention, type RetentionReport } from "./retention";

export type CleanupReport = { signals: number; uploads: number; challenges: number; throttles: number; rates: number; retention: RetentionReport };

export async function runCleanup(db: Db, store: BlobStore, now = new Date(), retentionDays?: number): Promise<CleanupReport> {
  const [signals, uploads, challenges, throttles, rates] = await Promise.all([
    deleteOldSignals(db, now),
    sweepAbandonedUploads(db, store, { now }),
    db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: now } } }).then((r) => r.count),
    db.signInThrottle.deleteMany({ where: { lastFailureAt: { lt: new Date(now.getTime() - FORGET_AFTER_MS) } } }).then((r) => r.count),
    db.participantRate.deleteMany({ where: { windowStart: { lt: new Date(now.getTime() - RATE_FORGET_AFTER_MS) } } }).then((r) => r.count),
  ]);
  // After the sweep of abandoned uploads, so the two do not race for the same ended consult's parts.
  const retention = await runRetention(db, store, retentionDays, now);
  return { signals, uploads, challenges, throttles, rates, retention };
}
