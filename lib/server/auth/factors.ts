import "server-only";
// Staff second factors: passkeys (passkeys.ts), an authenticator app (TOTP, totp.ts) with one-time
// recovery codes, and the second step of a password sign-in. STAFF_MFA decides what a password
// alone is worth: `off` a full sign-in; otherwise a person with a factor must use it, and under
// `required` a person without one may only enrol one. Every change is audited in its transaction.
import QRCode from "qrcode";
import type { Db } from "../db";
import type { Tx } from "../events/log";
import { audit } from "../audit";
import { ApiError } from "../errors";
import { getServerEnv } from "../env";
import { registerPasskey, type RelyingParty } from "./passkeys";
import { newTotpSecret, totpUri, verifyTotp } from "./totp";
import { openSecret, sealSecret } from "./sealed-secret";
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from "./recovery-codes";
import { clearOnSuccess, recordFailure, throttleWaitMs } from "./throttle";
import type { SessionStage } from "../authz";
import type { FactorsView, PasskeyView, StaffMfa } from "@/lib/shared/factors";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";

export type Me = { id: string; name: string; email: string | null; sessionId?: string | undefined; stage?: SessionStage | undefined };

export async function hasSecondFactor(db: Db | Tx, userId: string): Promise<boolean> {
  const [passkeys, totp] = await Promise.all([db.passkey.count({ where: { userId } }), db.totpFactor.count({ where: { userId, confirmedAt: { not: null } } })]);
  return passkeys + totp > 0;
}

/** What a right password is worth under STAFF_MFA. */
export function stageAfterPassword(mfa: StaffMfa, hasFactor: boolean): SessionStage {
  if (mfa === "off") return "full";
  if (hasFactor) return "second_factor";
  return mfa === "required" ? "enrol" : "full";
}

export async function factorsOf(db: Db, userId: string): Promise<FactorsView> {
  const [passkeys, totp, left] = await Promise.all([
    db.passkey.findMany({ where: { userId }, orderBy: { createdAt: "asc" } }),
    db.totpFactor.findUnique({ where: { userId }, select: { confirmedAt: true } }),
    db.recoveryCode.count({ where: { userId, usedAt: null } }),
  ]);
  return {
    passkeys: passkeys.map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt?.toISOString() ?? null, synced: r.backedUp })),
    totp: !!totp?.confirmedAt,
    recoveryCodesLeft: totp?.confirmedAt ? left : 0,
  };
}

/** A person who just enrolled a factor while made to (STAFF_MFA=required) is now fully signed in. */
async function promoteEnrolling(tx: Tx, me: Me): Promise<void> {
  if (me.sessionId) await tx.session.updateMany({ where: { id: me.sessionId, stage: "enrol" }, data: { stage: "full" } });
}

/** Refuses to remove the last factor where the clinic requires one. */
async function keepAFactor(tx: Tx, userId: string): Promise<void> {
  if (getServerEnv().staffMfa === "required" && !(await hasSecondFactor(tx, userId))) {
    throw new ApiError("conflict", "Your clinic requires a second factor: add another passkey or an authenticator app before removing this one.");
  }
}

export async function addPasskey(db: Db, me: Me, rp: RelyingParty, input: { challengeId: string; response: RegistrationResponseJSON; name: string }, ip?: string): Promise<PasskeyView> {
  return db.$transaction(async (tx) => {
    const view = await registerPasskey(tx, me, rp, input);
    await audit({ action: "factor.enrolled", actorUserId: me.id, subjectUserId: me.id, detail: { factor: "passkey", passkeyId: view.id, synced: view.synced }, ip }, tx);
    await promoteEnrolling(tx, me);
    return view;
  });
}

export async function removePasskey(db: Db, me: Me, id: string, ip?: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const r = await tx.passkey.deleteMany({ where: { id, userId: me.id } });
    if (r.count === 0) throw new ApiError("not_found", "No such passkey");
    await keepAFactor(tx, me.id);
    await audit({ action: "factor.removed", actorUserId: me.id, subjectUserId: me.id, detail: { factor: "passkey", passkeyId: id }, ip }, tx);
  });
}

/** Starts adding an authenticator app: a new secret, shown once as a QR code, confirmed by a first code. */
export async function startTotp(db: Db, me: Me): Promise<{ uri: string; secret: string; qrDataUrl: string }> {
  const existing = await db.totpFactor.findUnique({ where: { userId: me.id }, select: { confirmedAt: true } });
  if (existing?.confirmedAt) throw new ApiError("conflict", "You already use an authenticator app. Remove it first to set up another.");
  const secret = newTotpSecret();
  const sealedSecret = sealSecret(secret, getServerEnv().authSecret, me.id);
  await db.totpFactor.upsert({ where: { userId: me.id }, create: { userId: me.id, sealedSecret }, update: { sealedSecret, lastUsedStep: null, createdAt: new Date() } });
  const uri = totpUri(secret, me.email ?? me.name);
  return { uri, secret, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 1, width: 220 }) };
}

/** A code from the app and its stored state: the step it matched, or undefined. */
function checkCode(row: { sealedSecret: string; lastUsedStep: number | null }, userId: string, code: string): number | undefined {
  const secret = openSecret(row.sealedSecret, getServerEnv().authSecret, userId);
  if (!secret) return undefined;
  const r = verifyTotp(secret, code, { lastUsedStep: row.lastUsedStep });
  return r.ok ? r.step : undefined;
}

/** The first code from the app confirms it; answers the recovery codes, shown once. */
export async function confirmTotp(db: Db, me: Me, code: string, ip?: string): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const row = await tx.totpFactor.findUnique({ where: { userId: me.id } });
    if (!row) throw new ApiError("not_found", "Start adding the authenticator app first.");
    if (row.confirmedAt) throw new ApiError("conflict", "This authenticator app is already set up.");
    const step = checkCode(row, me.id, code);
    if (step === undefined) throw new ApiError("invalid_input", "That code is not right. Check the time on your phone and type the code your app shows now.");
    await tx.totpFactor.update({ where: { userId: me.id }, data: { confirmedAt: new Date(), lastUsedStep: step } });
    const { codes, hashes } = newRecoveryCodes();
    await tx.recoveryCode.deleteMany({ where: { userId: me.id } });
    await tx.recoveryCode.createMany({ data: hashes.map((codeHash) => ({ userId: me.id, codeHash })) });
    await audit({ action: "factor.enrolled", actorUserId: me.id, subjectUserId: me.id, detail: { factor: "totp", recoveryCodes: codes.length }, ip }, tx);
    await promoteEnrolling(tx, me);
    return codes;
  });
}

export async function removeTotp(db: Db, me: Me, ip?: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const r = await tx.totpFactor.deleteMany({ where: { userId: me.id } });
    if (r.count === 0) throw new ApiError("not_found", "You do not use an authenticator app.");
    await tx.recoveryCode.deleteMany({ where: { userId: me.id } });
    await keepAFactor(tx, me.id);
    await audit({ action: "factor.removed", actorUserId: me.id, subjectUserId: me.id, detail: { factor: "totp" }, ip }, tx);
  });
}

/**
 * The second step of a password sign-in: a code from the app or an unused recovery code. Wrong
 * ones are throttled like passwords (per person and per address), never locked out.
 */
export async function completeSecondFactor(db: Db, me: Me & { email: string | null }, input: { code: string } | { recoveryCode: string }, ip?: string): Promise<void> {
  if (!me.sessionId || me.stage !== "second_factor") throw new ApiError("conflict", "This sign-in does not wait for a second factor.");
  const sessionId = me.sessionId;
  const keys = { account: `factor:${me.id}`, address: ip };
  if ((await throttleWaitMs(db, keys)) > 0) throw new ApiError("rate_limited", "Too many wrong codes: wait a minute, then try again.");
  const method = "code" in input ? "totp" : "recovery_code";
  const ok = await db.$transaction(async (tx) => {
    if ("code" in input) {
      const row = await tx.totpFactor.findUnique({ where: { userId: me.id } });
      const step = row?.confirmedAt ? checkCode(row, me.id, input.code) : undefined;
      if (step === undefined || !row) return false;
      // A code works once: the step is taken only if no other request took it first.
      const taken = await tx.totpFactor.updateMany({ where: { userId: me.id, OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }] }, data: { lastUsedStep: step } });
      if (taken.count !== 1) return false;
    } else {
      const normal = normaliseRecoveryCode(input.recoveryCode);
      if (!normal) return false;
      const used = await tx.recoveryCode.updateMany({ where: { userId: me.id, codeHash: hashRecoveryCode(normal), usedAt: null }, data: { usedAt: new Date() } });
      if (used.count !== 1) return false;
    }
    await tx.session.update({ where: { id: sessionId }, data: { stage: "full", method: `password+${method}` } });
    await audit({ action: "auth.sign_in", actorUserId: me.id, subjectUserId: me.id, detail: { method: `password+${method}` }, ip }, tx);
    return true;
  });
  if (!ok) {
    await recordFailure(db, keys);
    await audit({ action: "auth.second_factor_failed", actorUserId: me.id, subjectUserId: me.id, detail: { method }, ip }, db);
    throw new ApiError("invalid_input", method === "totp" ? "That code is not right, or was used already. Type the code your app shows now." : "That recovery code is not right, or was used already.");
  }
  await clearOnSuccess(db, keys);
}

/** An admin's reset takes the second factors too: the person enrols again after setting a password. */
export async function removeAllFactors(tx: Tx, userId: string): Promise<number> {
  const [p, t] = await Promise.all([tx.passkey.deleteMany({ where: { userId } }), tx.totpFactor.deleteMany({ where: { userId } })]);
  await tx.recoveryCode.deleteMany({ where: { userId } });
  return p.count + t.count;
}
