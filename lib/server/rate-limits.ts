import "server-only";
// Abuse limits: how many signals, presence updates, receipts and chat messages one participant may
// post per window, counted in the database (table ParticipantRate) so that every instance sees the
// same counts, like the sign-in throttle. They sit far above what the app itself sends (measured
// in docs/architecture.md, "Abuse limits"): only a runaway or hostile client ever meets them.
//
// One statement per request, on its own before the request's write: a refused request opens no
// transaction and never waits for the consult's lock, so a flood does not slow the other side.
import type { Db } from "./db";
import type { Tx } from "./events/log";
import { ApiError } from "./errors";

export type RateKind = "signal" | "presence" | "receipt" | "message";

/** Requests a participant may make per window, by kind (settings; see docs/architecture.md). */
export const RATE_LIMITS: Record<RateKind, { max: number; windowMs: number }> = {
  signal: { max: 1500, windowMs: 60_000 },
  presence: { max: 600, windowMs: 60_000 },
  receipt: { max: 600, windowMs: 60_000 },
  message: { max: 600, windowMs: 60_000 },
};

/** The longest window: a count older than this is dead weight (lib/server/cleanup.ts). */
export const RATE_FORGET_AFTER_MS = Math.max(...Object.values(RATE_LIMITS).map((l) => l.windowMs));

const WHAT: Record<RateKind, string> = {
  signal: "call signals",
  presence: "presence updates",
  receipt: "read receipts",
  message: "messages",
};

/**
 * Counts one request of `kind` for the participant, atomically (two instances counting at once
 * both count), and refuses it with 429 and `Retry-After` when it is past the window's limit. A
 * window opens with the first request after the previous one ended; refused requests count but
 * never extend it. Nothing else is written either way.
 */
export async function checkRate(db: Db | Tx, participantId: string, kind: RateKind, now = new Date()): Promise<void> {
  const { max, windowMs } = RATE_LIMITS[kind];
  const ended = new Date(now.getTime() - windowMs);
  const rows = await db.$queryRaw<{ count: number; windowStart: Date }[]>`
    INSERT INTO "ParticipantRate" ("participantId", "kind", "windowStart", "count") VALUES (${participantId}::uuid, ${kind}, ${now}, 1)
    ON CONFLICT ("participantId", "kind") DO UPDATE SET
      "count" = CASE WHEN "ParticipantRate"."windowStart" <= ${ended} THEN 1 ELSE "ParticipantRate"."count" + 1 END,
      "windowStart" = CASE WHEN "ParticipantRate"."windowStart" <= ${ended} THEN ${now} ELSE "ParticipantRate"."windowStart" END
    RETURNING "count", "windowStart"`;
  const row = rows[0];
  if (!row || row.count <= max) return;
  // Another instance's clock may run ahead: never ask for more than one window, nor for 0 s.
  const seconds = Math.min(windowMs / 1000, Math.max(1, Math.ceil((row.windowStart.getTime() + windowMs - now.getTime()) / 1000)));
  throw new ApiError("rate_limited", `Too many ${WHAT[kind]} in a short time: wait ${seconds} s, then try again.`, undefined, seconds);
}
