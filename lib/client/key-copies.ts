"use client";
// Sealed copies of this device's keys (PROTOCOL §7.1) in the browser: every consult key and name key
// this device holds raw goes, sealed, to each public key the person's records must reach — the
// passphrase backup's key and the box keys of the devices this one linked with — with the pins a
// record needs on another device (§7.5). And the other way: the copies addressed to this device,
// or to a backup it unlocked, opened and kept for reading only.
//
// A device seals only to keys it pinned itself (made here, learned by restoring, or over a verified
// link), never to one the server offers; the server's list only says which pinned ones are still in use.
import {
  encodeHistoryPins,
  equal,
  fingerprint,
  fromBase64Url,
  openConsultKeyCopy,
  openHistoryPins,
  openNameKeyCopy,
  randomBytes,
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
import { keyBackupInfo, keyCopiesAnswer, recordsKeyAnswer, type KeyCopyBody } from "@/lib/shared/keys";
import { deviceListAnswer } from "@/lib/shared/devices";
import { api } from "./api";
import { historyPinKey } from "./chat/chat-store";
import { storeReceivedKey } from "./consult-keys";
import { browserPins } from "./device-identity";
import { parleyDb, type StoredConsultKey, type StoredNameKey } from "./parley-db";
import { seatPinKey } from "./trust";

export type CopyStep = { step: "deriving" | "sealing" | "opening"; done?: number; total?: number };
export type Progress = (p: CopyStep) => void;

/** Where a public key this device seals to is pinned (`pins` store). */
export const backupPinKey = (userId: string) => `backup|${userId}`;
export const linkedDevicePinKey = (userId: string, deviceId: string) => `device-box|${userId}|${deviceId}`;
/** this person's other devices' identity keys, met over a verified link */
export const ownDevicePinKey = (userId: string, deviceId: string) => `own-device|${userId}|${deviceId}`;
/** the clinic's records key, pinned the first time this device met it (PROTOCOL §7.5) */
export const recordsPinKey = (userId: string, recordsKeyId: string) => `records|${userId}|${recordsKeyId}`;

/** One public key to seal to, as this device pinned it. */
export type CopyTarget = { to: CopyRecipient; spki: Uint8Array; body: Pick<KeyCopyBody, "recipient" | "recipientId"> };

const COPIES_PER_REQUEST = 100;

/** The backup key this device seals to: the one it pinned. */
export async function pinnedBackupKey(userId: string): Promise<Uint8Array | undefined> {
  return (await browserPins.get(backupPinKey(userId)))?.spki;
}

/** The linked devices' box keys this device pinned, by device id. */
async function pinnedDeviceKeys(userId: string): Promise<Map<string, Uint8Array>> {
  const prefix = linkedDevicePinKey(userId, "");
  const all = await (await parleyDb()).getAll("pins");
  return new Map(all.filter((p) => p.key.startsWith(prefix)).map((p) => [p.key.slice(prefix.length), p.spki]));
}

/** The clinic's records key this device pinned (PROTOCOL §7.5), with its id. */
export async function pinnedRecordsKey(userId: string): Promise<{ id: string; spki: Uint8Array } | undefined> {
  const prefix = recordsPinKey(userId, "");
  const pin = (await (await parleyDb()).getAll("pins")).find((p) => p.key.startsWith(prefix));
  return pin ? { id: pin.key.slice(prefix.length), spki: pin.spki } : undefined;
}

/** What this device may seal to, before asking the server which of them are still in use. */
async function pinnedTargets(userId: string): Promise<CopyTarget[]> {
  const targets: CopyTarget[] = [];
  const records = await pinnedRecordsKey(userId);
  if (records) targets.push({ to: { kind: "records" }, spki: records.spki, body: { recipient: "records", recipientId: records.id } });
  const backup = await pinnedBackupKey(userId);
  if (backup) targets.push({ to: { kind: "backup", userId }, spki: backup, body: { recipient: "backup", recipientId: userId } });
  for (const [deviceId, spki] of await pinnedDeviceKeys(userId)) {
    targets.push({ to: { kind: "device", userId, deviceId }, spki, body: { recipient: "device", recipientId: deviceId } });
  }
  return targets;
}

/** The pinned targets the server still has: the same backup key, and devices not removed with the same box key. */
async function liveTargets(userId: string, targets: CopyTarget[]): Promise<CopyTarget[]> {
  const needsBackup = targets.some((t) => t.to.kind === "backup");
  const needsDevices = targets.some((t) => t.to.kind === "device");
  const needsRecords = targets.some((t) => t.to.kind === "records");
  const [info, list, records] = await Promise.all([
    needsBackup ? api.get("/api/account/key-backup", keyBackupInfo) : null,
    needsDevices ? api.get("/api/devices", deviceListAnswer) : null,
    needsRecords ? api.get("/api/records-key", recordsKeyAnswer) : null,
  ]);
  return targets.filter((t) => {
    if (t.to.kind === "backup") return !!info && equal(fromBase64Url(info.publicKey), t.spki);
    if (t.to.kind === "records") return !!records && records.id === t.body.recipientId && equal(fromBase64Url(records.publicKey), t.spki);
    const device = list?.devices.find((d) => t.to.kind === "device" && d.id === t.to.deviceId);
    return !!device?.boxKey && equal(fromBase64Url(device.boxKey), t.spki);
  });
}

const consultOf = (k: { consult: string }) => k.consult.split("|")[1] ?? "";
const copied = (k: StoredConsultKey | StoredNameKey, fp: string) => k.backedUp === fp || (k.copiedTo ?? []).includes(fp);
const pinsCopiedKey = (fp: string, userId: string, consultId: string) => `pins-copied|${fp}|${userId}|${consultId}`;

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

type Due = { target: CopyTarget; fp: string; keys: StoredConsultKey[]; names: StoredNameKey[]; pins: Map<string, { pins: HistoryPin[]; hash: Uint8Array }> };

/** What each target still lacks, found on this device alone. */
async function dueFor(userId: string, targets: CopyTarget[], consultNow?: string): Promise<Due[]> {
  const db = await parleyDb();
  const mine = (consult: string) => consult.startsWith(`${userId}|`);
  const allKeys = (await db.getAll("consultKeys")).filter((k) => mine(k.consult) && k.raw);
  const allNames = (await db.getAll("nameKeys")).filter((k) => mine(k.consult));
  const out: Due[] = [];
  for (const target of targets) {
    const fp = toHex(await fingerprint(target.spki));
    const keys = allKeys.filter((k) => !copied(k, fp));
    const names = allNames.filter((n) => !copied(n, fp));
    const pins = new Map<string, { pins: HistoryPin[]; hash: Uint8Array }>();
    for (const consultId of new Set([...keys.map(consultOf), ...names.map(consultOf), ...(consultNow ? [consultNow] : [])])) {
      const list = await pinsOf(userId, consultId);
      if (list.length === 0) continue;
      const hash = await sha256(encodeHistoryPins(list));
      const last = (await browserPins.get(pinsCopiedKey(fp, userId, consultId))) ?? (target.to.kind === "backup" ? await browserPins.get(`pins-backup|${userId}|${consultId}`) : undefined);
      if (!last || !equal(last.spki, hash)) pins.set(consultId, { pins: list, hash });
    }
    if (keys.length + names.length + pins.size > 0) out.push({ target, fp, keys, names, pins });
  }
  return out;
}

/** Seals what one target lacks and stores the copies, consult by consult. */
async function sealFor(userId: string, deviceId: string, due: Due, progress: Progress): Promise<number> {
  const db = await parleyDb();
  const { target, fp } = due;
  type Group = { copies: KeyCopyBody[]; keys: StoredConsultKey[]; names: StoredNameKey[]; pinsHash?: Uint8Array };
  const byConsult = new Map<string, Group>();
  const group = (consultId: string): Group => {
    const g = byConsult.get(consultId) ?? { copies: [], keys: [], names: [] };
    byConsult.set(consultId, g);
    return g;
  };
  let done = 0;
  const total = due.keys.length + due.names.length;
  for (const k of due.keys) {
    if (!k.raw) continue;
    const box = await sealConsultKeyCopy(target.to, consultOf(k), { epoch: k.epoch, keyId: k.keyId, key: new Uint8Array(k.raw) }, target.spki);
    const g = group(consultOf(k));
    g.copies.push({ ...target.body, kind: "consult", epoch: k.epoch, keyId: toBase64Url(k.keyId), box: toBase64Url(box) });
    g.keys.push(k);
    progress({ step: "sealing", done: ++done, total });
  }
  for (const n of due.names) {
    const box = await sealNameKeyCopy(target.to, consultOf(n), n.privateKey, target.spki);
    const g = group(consultOf(n));
    g.copies.push({ ...target.body, kind: "name", epoch: 0, keyId: toBase64Url((await fingerprint(n.spki)).slice(0, 16)), box: toBase64Url(box) });
    g.names.push(n);
    progress({ step: "sealing", done: ++done, total });
  }
  for (const [consultId, { pins, hash }] of due.pins) {
    const box = await sealHistoryPins(target.to, consultId, pins, target.spki);
    const g = group(consultId);
    g.copies.push({ ...target.body, kind: "pins", epoch: 0, keyId: toBase64Url(randomBytes(16)), box: toBase64Url(box) });
    g.pinsHash = hash;
  }
  let count = 0;
  for (const [consultId, g] of byConsult) {
    for (let i = 0; i < g.copies.length; i += COPIES_PER_REQUEST) {
      await api.post(`/api/consults/${consultId}/key-copies`, { fromDeviceId: deviceId, copies: g.copies.slice(i, i + COPIES_PER_REQUEST) });
    }
    count += g.copies.length;
    // Re-read each record before marking it: another target's marks may have landed meanwhile.
    for (const k of g.keys) {
      const now = await db.get("consultKeys", k.id);
      if (now) await db.put("consultKeys", { ...now, copiedTo: [...new Set([...(now.copiedTo ?? []), fp])] });
    }
    for (const n of g.names) {
      const now = await db.get("nameKeys", n.consult);
      if (now) await db.put("nameKeys", { ...now, copiedTo: [...new Set([...(now.copiedTo ?? []), fp])] });
    }
    if (g.pinsHash) await browserPins.put(pinsCopiedKey(fp, userId, consultId), { spki: g.pinsHash, verified: false });
  }
  return count;
}

/**
 * Seals every key this device holds raw, and each consult's pins when they changed, to every
 * public key it pinned that still lacks them: the backup and the linked devices. A device that
 * has nothing due asks the server nothing. `only` limits it to one target (a device just linked).
 */
export async function copyHeldKeys(userId: string, deviceId: string, opts: { progress?: Progress; consultNow?: string; only?: CopyTarget } = {}): Promise<{ copied: number }> {
  const progress = opts.progress ?? (() => undefined);
  const targets = opts.only ? [opts.only] : await pinnedTargets(userId);
  const due = await dueFor(userId, targets, opts.consultNow);
  if (due.length === 0) return { copied: 0 };
  const live = await liveTargets(
    userId,
    due.map((d) => d.target),
  );
  let copied = 0;
  for (const d of due) if (live.includes(d.target)) copied += await sealFor(userId, deviceId, d, progress);
  return { copied };
}

/**
 * Opens the copies addressed to this device (`source` "device", with its box key) or to an
 * unlocked backup ("backup"), and keeps the keys for reading only (PROTOCOL §7.1). A copy that
 * does not open (altered, or not sealed to this key) is skipped; the others still open.
 */
export async function openCopies(
  userId: string,
  source: { kind: "backup"; key: BoxKey } | { kind: "device"; deviceId: string; key: BoxKey },
  progress: Progress = () => undefined,
): Promise<{ consults: number; keys: number }> {
  const db = await parleyDb();
  const to: CopyRecipient = source.kind === "backup" ? { kind: "backup", userId } : { kind: "device", userId, deviceId: source.deviceId };
  // The copies' source already holds what it opens: nothing goes back to it.
  const sourceFp = [toHex(await fingerprint(source.key.spki))];
  const consults = new Set<string>();
  let keys = 0;
  let after: string | undefined;
  do {
    const page = await api.get(`/api/account/key-copies?recipient=${source.kind}${after ? `&after=${after}` : ""}`, keyCopiesAnswer);
    for (const c of page.copies) {
      if (source.kind === "device" && c.recipientId !== source.deviceId) continue;
      progress({ step: "opening", done: keys });
      const consult = `${userId}|${c.consultId}`;
      try {
        if (c.kind === "pins") {
          for (const p of await openHistoryPins(to, c.consultId, fromBase64Url(c.box), source.key)) {
            const at = historyPinKey(userId, c.consultId, toHex(await fingerprint(p.spki)));
            const known = await browserPins.get(at);
            await browserPins.put(at, { spki: p.spki, verified: p.verified || p.own || !!known?.verified });
          }
          continue;
        }
        if (c.kind === "consult") {
          const k = await openConsultKeyCopy(to, c.consultId, fromBase64Url(c.box), source.key, { epoch: c.epoch, keyId: fromBase64Url(c.keyId) });
          // The same rules as a key received in a call: a known key is a no-op, a held epoch refuses another key.
          if ((await storeReceivedKey(userId, c.consultId, k, false, true, sourceFp)) === "known") continue;
        } else {
          const n = await openNameKeyCopy(to, c.consultId, fromBase64Url(c.box), source.key);
          const own = await db.get("nameKeys", consult);
          if (own && equal(own.spki, n.spki)) continue;
          await db.put("nameKeys", { consult: `${consult}|restored`, privateKey: n.privateKey, spki: new Uint8Array(n.spki), createdAt: Date.now(), restored: true, copiedTo: sourceFp });
        }
        consults.add(c.consultId);
        keys++;
      } catch {
        // skipped: see above
      }
    }
    after = page.next ?? undefined;
  } while (after);
  return { consults: consults.size, keys };
}
