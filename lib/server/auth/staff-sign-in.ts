import "server-only";
// A staff member signs in with email and password: throttled per account and per address
// (throttle.ts) before the password is checked, verified against a dummy hash for unknown emails
// (no timing oracle), rehashed when the stored hash is older than the current setting, audited,
// and made into a Session row — a full one, or one that owes a second factor (factors.ts).
import type { Db } from "../db";
import { audit } from "../audit";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password";
import { clearOnSuccess, recordFailure, throttleWaitMs } from "./throttle";
import { createSession } from "./sessions";
import { hasSecondFactor, stageAfterPassword } from "./factors";
import { getServerEnv } from "../env";
import { errField, getLog } from "@/lib/server/log";

export type PasswordSignIn = { ok: true; user: { id: string; name: string; email: string | null }; sid: string } | { ok: false; code: "credentials" | "throttled"; waitMs?: number };

export async function passwordSignIn(db: Db, input: { email: string; password: string }, client: { ip: string | undefined; userAgent: string | null }, now = new Date()): Promise<PasswordSignIn> {
  const { email, password } = input;
  const keys = { account: email, address: client.ip };
  const waitMs = await throttleWaitMs(db, keys, now);
  if (waitMs > 0) {
    await audit({ action: "auth.sign_in_throttled", detail: { email, waitMs }, ip: client.ip }, db);
    return { ok: false, code: "throttled", waitMs };
  }
  const user = await db.user.findUnique({ where: { email } });
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
  if (!user || !ok || user.disabledAt || user.role === "patient") {
    await recordFailure(db, keys, now);
    await audit({ action: "auth.sign_in_failed", actorUserId: user?.id, subjectUserId: user?.id, detail: { email, method: "password" }, ip: client.ip }, db);
    return { ok: false, code: "credentials" };
  }
  await clearOnSuccess(db, keys);
  if (user.passwordHash && needsRehash(user.passwordHash)) {
    // An older hash (or weaker parameters): store the current one while the password is at hand.
    await db.user
      .update({ where: { id: user.id }, data: { passwordHash: await hashPassword(password) } })
      .catch((err: unknown) => getLog().warn({ err: errField(err) }, "rehashing a password failed"));
  }
  const stage = stageAfterPassword(getServerEnv().staffMfa, await hasSecondFactor(db, user.id));
  const sid = await db.$transaction(async (tx) => {
    // A sign-in that owes a second factor is audited when the factor comes (factors.ts).
    const action = stage === "second_factor" ? "auth.password_accepted" : "auth.sign_in";
    await audit({ action, actorUserId: user.id, subjectUserId: user.id, detail: { method: "password", stage }, ip: client.ip }, tx);
    return createSession(tx, { userId: user.id, method: "password", ip: client.ip, userAgent: client.userAgent, stage });
  });
  return { ok: true, user: { id: user.id, name: user.name, email: user.email }, sid };
}
