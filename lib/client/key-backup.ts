"use client";
// The passphrase backup in the browser (PROTOCOL §7.3): setting it up (a backup key B, wrapped
// under Argon2id of the passphrase, and a sealed copy of every consult key and name key this
// device made), keeping it up to date as keys are made, and restoring it on another device. The
// server stores the wrapped key and the copies; it can open neither. This device seals only to
// the backup key it pinned (made here, or learned by restoring), never to one the server offers.
import { equal, fromBase64Url, restoreBackup, toBase64Url, createBackup, type BoxKey } from "@/lib/crypto";
import { keyBackupInfo, keyBackupUnlockAnswer } from "@/lib/shared/keys";
import { api } from "./api";
import { browserPins } from "./device-identity";
import { backupPinKey, copyHeldKeys, openCopies, pinnedBackupKey, type CopyStep, type Progress } from "./key-copies";
import { parleyDb } from "./parley-db";

export type BackupStep = CopyStep;

/** Whether this person has a backup, and whether this device seals to it. */
export async function backupState(userId: string): Promise<{ set: boolean; pinnedHere: boolean; changedOnServer: boolean }> {
  const [info, pinned] = await Promise.all([api.get("/api/account/key-backup", keyBackupInfo), pinnedBackupKey(userId)]);
  const server = info ? fromBase64Url(info.publicKey) : undefined;
  return { set: !!server, pinnedHere: !!pinned && !!server && equal(pinned, server), changedOnServer: !!pinned && !!server && !equal(pinned, server) };
}

/** Makes the backup (or replaces it, for a new passphrase), then copies every key this device holds into it. */
export async function setUpBackup(userId: string, deviceId: string, passphrase: string, progress: Progress = () => undefined): Promise<{ copied: number }> {
  progress({ step: "deriving" });
  const { record } = await createBackup(passphrase, userId);
  await api.put("/api/account/key-backup", {
    publicKey: toBase64Url(record.spki),
    params: { memoryKiB: record.params.memoryKiB, iterations: record.params.iterations, parallelism: record.params.parallelism },
    salt: toBase64Url(record.salt),
    iv: toBase64Url(record.iv),
    wrapped: toBase64Url(record.wrapped),
  });
  await browserPins.put(backupPinKey(userId), { spki: record.spki, verified: true });
  return copyHeldKeys(userId, deviceId, { progress, only: { to: { kind: "backup", userId }, spki: record.spki, body: { recipient: "backup", recipientId: userId } } });
}

/** Why a restore did not happen, in words for the person. */
export class RestoreRefused extends Error {}

/**
 * Restores on this device: the wrapped backup key (a sign-in with a second factor, counted by
 * the server), unwrapped with the passphrase, then every copy in the backup opened and kept for
 * reading. Returns how many consults now open here.
 */
export async function restoreFromBackup(userId: string, passphrase: string, progress: Progress = () => undefined): Promise<{ consults: number; keys: number }> {
  const b = await api.post("/api/account/key-backup/unlock", {}, keyBackupUnlockAnswer);
  progress({ step: "deriving" });
  let key: BoxKey;
  try {
    key = await restoreBackup(passphrase, userId, {
      salt: fromBase64Url(b.salt),
      params: { algorithm: "argon2id", ...b.params },
      iv: fromBase64Url(b.iv),
      wrapped: fromBase64Url(b.wrapped),
      spki: fromBase64Url(b.publicKey),
    });
  } catch {
    throw new RestoreRefused("That passphrase does not open your backup. Check it and try again: attempts are limited to 5 an hour.");
  }
  await browserPins.put(backupPinKey(userId), { spki: key.spki, verified: true });
  return openCopies(userId, { kind: "backup", key }, progress);
}

/** Whether this device holds any key of the consult's record (its own, or restored), for the past consults list. */
export async function holdsRecordKey(userId: string, consultId: string): Promise<boolean> {
  return (await (await parleyDb()).countFromIndex("consultKeys", "byConsult", `${userId}|${consultId}`)) > 0;
}
