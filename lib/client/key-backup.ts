"use client";
// The passphrase backup in the browser (PROTOCOL §7.3): setting it up (a backup key B, wrapped
// under Argon2id of the passphrase, and a sealed copy of every consult key and name key this
// device made), keeping it up to date as keys are made, and restoring it on another device. The
// server stores the wrapped key and the copies; it can open neither. This device seals only to
// the backup key it pinned (made here, or learned by restoring), never to one the server offers.
import {
  createBackup,
  equal,
  fingerprint,
  fromBase64Url,
  openConsultKeyCopy,
  openNameKeyCopy,
  encodeHistoryPins,
  openHistoryPins,
  randomBytes,
  restoreBackup,
  sealConsultKeyCopy,
  sealHistoryPins,
  sealNameKeyCopy,
  sha256,
  toBase64Url,
  toHex,
  type BoxKey,
  type CopyRecipient,
  type HistoryPin,
} from "@/lib/crypto";
import { historyPinKey } from "./chat/chat-store";
import { seatPinKey } from "./trust";
import { keyBackupInfo, keyBackupUnlockAnswer, keyCopiesAnswer, type KeyCopyBody } from "@/lib/shared/keys";
import { api } from "./api";
import { browserPins } from "./device-identity";
import { storeReceivedKey } from "./consult-keys";
import { parleyDb, type StoredConsultKey, type StoredNameKey } from "./parley-db";

export type BackupStep = { step: "deriving" | "sealing" | "opening"; done?: number; total?: number };
type Progress = (p: BackupStep) => void;

const backupPinKey = (userId: string) => `backup|${userId}`;
const COPIES_PER_REQUEST = 100;

/** The backup key this device seals to: the one it pinned. */
async function pinnedBackupKey(userId: string): Promise<Uint8Array | undefined> {
  return (await browserPins.get(backupPinKey(userId)))?.spki;
}

/** Whether this person has a backup, and whether this device seals to it. */
export async function backupState(userId: string): Promise<{ set: boolean; pinnedHere: boolean; changedOnServer: boolean }> {
  const [info, pinned] = await Promise.all([api.get("/api/account/key-backup", keyBackupInfo), pinnedBackupKey(userId)]);
  const server = info ? fromBase64Url(info.publicKey) : undefined;
  return { set: !!server, pinnedHere: !!pinned && !!server && equal(pinned, server), changedOnServer: !!pinned && !!server && !equal(pinned, server) };
}

/** Makes the backup (or replaces it, for a new passphrase), then copies every key this device made into it. */
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
  return backUpHeldKeys(userId, deviceId, progress);
}

/**
 * Seals to the pinned backup key every consult key and name key this device made that is not in
 * it yet, and stores the copies. Nothing happens without a pinned backup key, or when the
 * server's backup key is another one (the person replaced it elsewhere: restore here first).
 */
export async function backUpHeldKeys(userId: string, deviceId: string, progress: Progress = () => undefined, consultNow?: string): Promise<{ copied: number }> {
  const pinned = await pinnedBackupKey(userId);
  if (!pinned) return { copied: 0 };
  // What is due is found on this device first: a room that opens with nothing new asks the server nothing.
  const fp = toHex(await fingerprint(pinned));
  const db = await parleyDb();
  const mine = (consult: string) => consult.startsWith(`${userId}|`);
  const keys = (await db.getAll("consultKeys")).filter((k) => mine(k.consult) && k.raw && !k.restored && k.backedUp !== fp);
  const names = (await db.getAll("nameKeys")).filter((k) => mine(k.consult) && !k.restored && k.backedUp !== fp);
  const consultOf = (k: { consult: string }) => k.consult.split("|")[1] ?? "";
  const pinsDue = new Map<string, { pins: HistoryPin[]; hash: Uint8Array }>();
  for (const consultId of new Set([...keys.map(consultOf), ...names.map(consultOf), ...(consultNow ? [consultNow] : [])])) {
    const pins = await pinsOf(userId, consultId);
    if (pins.length === 0) continue;
    const hash = await sha256(encodeHistoryPins(pins));
    const last = await browserPins.get(pinsBackupKey(userId, consultId));
    if (!last || !equal(last.spki, hash)) pinsDue.set(consultId, { pins, hash });
  }
  if (keys.length + names.length + pinsDue.size === 0) return { copied: 0 };
  const info = await api.get("/api/account/key-backup", keyBackupInfo);
  if (!info || !equal(fromBase64Url(info.publicKey), pinned)) return { copied: 0 };
  const to: CopyRecipient = { kind: "backup", userId };
  type Group = { copies: KeyCopyBody[]; keys: StoredConsultKey[]; names: StoredNameKey[]; pinsHash?: Uint8Array };
  const byConsult = new Map<string, Group>();
  const group = (consultId: string): Group => {
    const g = byConsult.get(consultId) ?? { copies: [], keys: [], names: [] };
    byConsult.set(consultId, g);
    return g;
  };
  let done = 0;
  const total = keys.length + names.length;
  for (const k of keys) {
    const raw = k.raw;
    if (!raw) continue;
    const box = await sealConsultKeyCopy(to, consultOf(k), { epoch: k.epoch, keyId: k.keyId, key: new Uint8Array(raw) }, pinned);
    const g = group(consultOf(k));
    g.copies.push({ recipient: "backup", recipientId: userId, kind: "consult", epoch: k.epoch, keyId: toBase64Url(k.keyId), box: toBase64Url(box) });
    g.keys.push(k);
    progress({ step: "sealing", done: ++done, total });
  }
  for (const n of names) {
    const box = await sealNameKeyCopy(to, consultOf(n), n.privateKey, pinned);
    const g = group(consultOf(n));
    g.copies.push({ recipient: "backup", recipientId: userId, kind: "name", epoch: 0, keyId: toBase64Url((await fingerprint(n.spki)).slice(0, 16)), box: toBase64Url(box) });
    g.names.push(n);
    progress({ step: "sealing", done: ++done, total });
  }
  // Each consult whose keys go now, and the one the room has open, also gets its pins when they changed.
  for (const [consultId, { pins, hash }] of pinsDue) {
    const box = await sealHistoryPins(userId, consultId, pins, pinned);
    const g = group(consultId);
    g.copies.push({ recipient: "backup", recipientId: userId, kind: "pins", epoch: 0, keyId: toBase64Url(randomBytes(16)), box: toBase64Url(box) });
    g.pinsHash = hash;
  }
  let copied = 0;
  for (const [consultId, g] of byConsult) {
    for (let i = 0; i < g.copies.length; i += COPIES_PER_REQUEST) {
      await api.post(`/api/consults/${consultId}/key-copies`, { fromDeviceId: deviceId, copies: g.copies.slice(i, i + COPIES_PER_REQUEST) });
    }
    copied += g.copies.length;
    for (const k of g.keys) await db.put("consultKeys", { ...k, backedUp: fp });
    for (const n of g.names) await db.put("nameKeys", { ...n, backedUp: fp });
    if (g.pinsHash) await browserPins.put(pinsBackupKey(userId, consultId), { spki: g.pinsHash, verified: false });
  }
  return { copied };
}

/** Where this device notes the pins it last backed up for a consult (a SHA-256 in a pin record's place). */
const pinsBackupKey = (userId: string, consultId: string) => `pins-backup|${userId}|${consultId}`;

/**
 * The pins a consult's record needs on another device (PROTOCOL §7.5): this device's own identity,
 * and the keys it pinned for the consult's seats, each compared or not.
 */
async function pinsOf(userId: string, consultId: string): Promise<HistoryPin[]> {
  const db = await parleyDb();
  const own = await db.get("identities", userId);
  const all = await db.getAll("pins");
  const compared = (spki: Uint8Array) => all.some((p) => p.key.startsWith(`${userId}|`) && !p.key.includes("|seat|") && p.verified && equal(p.spki, spki));
  const pins: HistoryPin[] = own ? [{ spki: own.spki, verified: true, own: true }] : [];
  for (const role of ["patient", "doctor"] as const) {
    const seat = all.find((p) => p.key === seatPinKey(userId, { consultId, role }));
    if (seat && !pins.some((p) => equal(p.spki, seat.spki))) pins.push({ spki: seat.spki, verified: compared(seat.spki), own: false });
  }
  return pins;
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
  const db = await parleyDb();
  const to: CopyRecipient = { kind: "backup", userId };
  const consults = new Set<string>();
  let keys = 0;
  let after: string | undefined;
  do {
    const page = await api.get(`/api/account/key-copies?recipient=backup${after ? `&after=${after}` : ""}`, keyCopiesAnswer);
    for (const c of page.copies) {
      progress({ step: "opening", done: keys });
      const consult = `${userId}|${c.consultId}`;
      try {
        if (c.kind === "pins") {
          for (const p of await openHistoryPins(userId, c.consultId, fromBase64Url(c.box), key)) {
            const at = historyPinKey(userId, c.consultId, toHex(await fingerprint(p.spki)));
            const known = await browserPins.get(at);
            await browserPins.put(at, { spki: p.spki, verified: p.verified || p.own || !!known?.verified });
          }
          continue;
        }
        if (c.kind === "consult") {
          const k = await openConsultKeyCopy(to, c.consultId, fromBase64Url(c.box), key, { epoch: c.epoch, keyId: fromBase64Url(c.keyId) });
          // The same rules as a key received in a call: a known key is a no-op, a held epoch refuses another key.
          if ((await storeReceivedKey(userId, c.consultId, k, false, true)) === "known") continue;
        } else {
          const n = await openNameKeyCopy(to, c.consultId, fromBase64Url(c.box), key);
          const own = await db.get("nameKeys", consult);
          if (own && equal(own.spki, n.spki)) continue;
          await db.put("nameKeys", { consult: `${consult}|restored`, privateKey: n.privateKey, spki: new Uint8Array(n.spki), createdAt: Date.now(), restored: true });
        }
        consults.add(c.consultId);
        keys++;
      } catch {
        // A copy that does not open (altered, or not sealed to this backup) is skipped: others still open.
      }
    }
    after = page.next ?? undefined;
  } while (after);
  return { consults: consults.size, keys };
}

/** Whether this device holds any key of the consult's record (its own, or restored), for the past consults list. */
export async function holdsRecordKey(userId: string, consultId: string): Promise<boolean> {
  return (await (await parleyDb()).countFromIndex("consultKeys", "byConsult", `${userId}|${consultId}`)) > 0;
}
