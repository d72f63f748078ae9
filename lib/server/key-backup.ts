import "server-only";
// The passphrase backup (PROTOCOL §7.3) as the server keeps it: the backup key's public half, and
// its private half wrapped under Argon2id(passphrase) in the browser. The server checks shapes and
// that the public half is a P-256 point; it holds nothing that opens the backup. Handing out the
// wrapped half is a guess at the passphrase, so it needs a sign-in with a second factor and is
// counted per person (UNLOCK_LIMIT), atomically, in the row itself.
import { fromBase64Url, importEcdhSpki, toBase64Url } from "@/lib/crypto";
import type { KeyBackupBody } from "@/lib/shared/keys";
import type { SessionUser } from "./authz";
import type { Db } from "./db";
import { ApiError } from "./errors";
import { audit } from "./audit";
import { hasSecondFactor } from "./auth/second-factor";

/** Unlocks (hand-outs of the wrapped key) a person may make per window. */
export const UNLOCK_LIMIT = { max: 5, windowMs: 60 * 60_000 };

async function checkPublicKey(b64: string): Promise<Uint8Array<ArrayBuffer>> {
  const spki = fromBase64Url(b64);
  try {
    await importEcdhSpki(spki);
  } catch {
    throw new ApiError("invalid_input", "publicKey is not a P-256 public key (SPKI)");
  }
  return spki;
}

/** What a device seals new copies to (the person's own, any session): the public half and the cost. */
export async function backupInfo(db: Db, me: SessionUser) {
  const b = await db.keyBackup.findUnique({ where: { userId: me.id }, select: { publicKey: true, memoryKiB: true, iterations: true, parallelism: true, updatedAt: true } });
  if (!b) return null;
  return { publicKey: toBase64Url(b.publicKey), params: { memoryKiB: b.memoryKiB, iterations: b.iterations, parallelism: b.parallelism }, updatedAt: b.updatedAt.toISOString() };
}

/** Sets or replaces the person's backup (a new passphrase, or a first one). Audited. */
export async function setBackup(db: Db, me: SessionUser, body: KeyBackupBody, ip?: string): Promise<void> {
  const publicKey = await checkPublicKey(body.publicKey);
  const data = {
    publicKey,
    ...body.params,
    salt: fromBase64Url(body.salt),
    iv: fromBase64Url(body.iv),
    wrapped: fromBase64Url(body.wrapped),
    unlockWindowStart: null,
    unlockCount: 0,
  };
  await db.$transaction(async (tx) => {
    const before = await tx.keyBackup.findUnique({ where: { userId: me.id }, select: { userId: true } });
    await tx.keyBackup.upsert({ where: { userId: me.id }, create: { userId: me.id, ...data }, update: data });
    await audit({ action: before ? "key_backup.replaced" : "key_backup.set", actorUserId: me.id, subjectUserId: me.id, ip }, tx);
  });
}

/**
 * Hands out the wrapped backup key for restoring on a new device: to a staff session with a second
 * factor, at most UNLOCK_LIMIT.max times per window (each hand-out is a guess). Audited.
 */
export async function unlockBackup(db: Db, me: SessionUser, ip?: string, now = new Date()): Promise<KeyBackupBody> {
  if (me.role === "patient") throw new ApiError("forbidden", "Only clinic staff have a key backup");
  if (!(await hasSecondFactor(db, me))) {
    throw new ApiError("forbidden", "Restoring your keys needs a sign-in with a second factor (a passkey, or your password and an authenticator code). Sign out and sign in again with one.");
  }
  const { max, windowMs } = UNLOCK_LIMIT;
  const ended = new Date(now.getTime() - windowMs);
  const rows = await db.$queryRaw<{ unlockCount: number; unlockWindowStart: Date }[]>`
    UPDATE "KeyBackup" SET
      "unlockCount" = CASE WHEN "unlockWindowStart" IS NULL OR "unlockWindowStart" <= ${ended} THEN 1 ELSE "unlockCount" + 1 END,
      "unlockWindowStart" = CASE WHEN "unlockWindowStart" IS NULL OR "unlockWindowStart" <= ${ended} THEN ${now} ELSE "unlockWindowStart" END
    WHERE "userId" = ${me.id}::uuid
    RETURNING "unlockCount", "unlockWindowStart"`;
  const row = rows[0];
  if (!row) throw new ApiError("not_found", "You have no key backup yet: set a passphrase on a device that holds your keys (Account, Key backup).");
  if (row.unlockCount > max) {
    const seconds = Math.max(1, Math.ceil((row.unlockWindowStart.getTime() + windowMs - now.getTime()) / 1000));
    await audit({ action: "key_backup.unlock_refused", actorUserId: me.id, subjectUserId: me.id, ip }, db);
    throw new ApiError("rate_limited", `Too many attempts to restore from the backup: try again in ${Math.ceil(seconds / 60)} min.`, undefined, seconds);
  }
  const b = await db.keyBackup.findUniqueOrThrow({ where: { userId: me.id } });
  await audit({ action: "key_backup.unlocked", actorUserId: me.id, subjectUserId: me.id, ip }, db);
  return {
    publicKey: toBase64Url(b.publicKey),
    params: { memoryKiB: b.memoryKiB, iterations: b.iterations, parallelism: b.parallelism },
    salt: toBase64Url(b.salt),
    iv: toBase64Url(b.iv),
    wrapped: toBase64Url(b.wrapped),
  };
}
