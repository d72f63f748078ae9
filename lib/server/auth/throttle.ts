import "server-only";
// Sign-in backoff in the database (table SignInThrottle), so every instance sees the same counts:
// per account and per source address, on the schedule of backoff.ts. Only password checks are
// throttled: a passkey sign-in never waits for a stranger's wrong passwords.
import type { Db } from "../db";
import { ACCOUNT_POLICY, ADDRESS_POLICY, addressKey, delayAfter, FORGET_AFTER_MS, type BackoffPolicy } from "./backoff";

export type ThrottleKeys = { account: string; address: string | undefined };

const keysOf = (k: ThrottleKeys): [string, BackoffPolicy][] => [[`account:${k.account}`, ACCOUNT_POLICY], ...(k.address ? [[addressKey(k.address), ADDRESS_POLICY] as [string, BackoffPolicy]] : [])];

/** How long until a password may be checked for these keys (0: now). */
export async function throttleWaitMs(db: Db, k: ThrottleKeys, now = new Date()): Promise<number> {
  const rows = await db.signInThrottle.findMany({ where: { key: { in: keysOf(k).map(([key]) => key) } }, select: { nextAllowedAt: true } });
  return Math.max(0, ...rows.map((r) => r.nextAllowedAt.getTime() - now.getTime()));
}

/**
 * Counts one failed password for each key, atomically (two instances failing at once both
 * count), and sets the key's next allowed time from the new count.
 */
export async function recordFailure(db: Db, k: ThrottleKeys, now = new Date()): Promise<void> {
  const forgetBefore = new Date(now.getTime() - FORGET_AFTER_MS);
  for (const [key, policy] of keysOf(k)) {
    const rows = await db.$queryRaw<{ failures: number }[]>`
      INSERT INTO "SignInThrottle" ("key", "failures", "lastFailureAt", "nextAllowedAt") VALUES (${key}, 1, ${now}, ${now})
      ON CONFLICT ("key") DO UPDATE SET
        "failures" = CASE WHEN "SignInThrottle"."lastFailureAt" < ${forgetBefore} THEN 1 ELSE "SignInThrottle"."failures" + 1 END,
        "lastFailureAt" = ${now}
      RETURNING "failures"`;
    const failures = rows[0]?.failures ?? 1;
    const next = new Date(now.getTime() + delayAfter(failures, policy));
    await db.signInThrottle.updateMany({ where: { key, nextAllowedAt: { lt: next } }, data: { nextAllowedAt: next } });
  }
  // Keys forgotten a day ago are dead weight; a failure now and then sweeps them.
  if (Math.random() < 0.02) await db.signInThrottle.deleteMany({ where: { lastFailureAt: { lt: forgetBefore } } });
}

/**
 * The right password: the account's count starts again, and the address's goes back below its
 * free attempts (a clinic's shared address must not add up everyone's typos all day; someone
 * there knows a password, but only one more wrong guess is free).
 */
export async function clearOnSuccess(db: Db, k: ThrottleKeys): Promise<void> {
  await db.signInThrottle.deleteMany({ where: { key: `account:${k.account}` } });
  if (!k.address) return;
  await db.signInThrottle.updateMany({ where: { key: addressKey(k.address), failures: { gt: ADDRESS_POLICY.free - 1 } }, data: { failures: ADDRESS_POLICY.free - 1 } });
}
