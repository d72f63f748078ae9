"use client";
// Consult keys on this device (PROTOCOL §3), in IndexedDB next to the identity. The owner device
// (the doctor's) creates epoch 0 on first need and keeps its raw bytes, since it must wrap them for
// each verified device; every other device keeps only a non-extractable AES-GCM CryptoKey. The
// no-overwrite and one-key-per-epoch rules are checked against what is stored, so they hold across
// reloads.
import { equal, fingerprint, importAeadKey, newConsultKey, ProtocolError, toHex, type ConsultKey } from "@/lib/crypto";
import { handedTo, needsNewEpoch, type Handover } from "./key-handover";
import { parleyDb, type StoredConsultKey } from "./device-identity";

const idOf = (userId: string, consultId: string, keyId: Uint8Array) => `${userId}|${consultId}|${toHex(keyId)}`;

async function stored(userId: string, consultId: string): Promise<StoredConsultKey[]> {
  const all = await (await parleyDb()).getAllFromIndex("consultKeys", "byConsult", `${userId}|${consultId}`);
  return all.sort((a, b) => b.epoch - a.epoch);
}

/**
 * Makes and stores a new key for `epoch` on the owner device (raw bytes kept: it wraps them for
 * others), with its first hand-over when it is made for one.
 */
async function createOwnerKey(userId: string, consultId: string, epoch: number, handover?: Handover): Promise<ConsultKey> {
  const k = newConsultKey(epoch);
  await (
    await parleyDb()
  ).put("consultKeys", {
    id: idOf(userId, consultId, k.keyId),
    consult: `${userId}|${consultId}`,
    epoch: k.epoch,
    keyId: k.keyId,
    raw: k.key,
    key: await importAeadKey(k.key),
    receivedAt: Date.now(),
    ...(handover ? { handover } : {}),
  });
  return k;
}

/**
 * The key to hand to the peer device with identity `peerIdentity` (its SPKI), `onTrust` when the
 * codes were not compared: the current epoch, or a new one when the rules of key-handover.ts say
 * so; the hand-over is recorded. The owner seals under the newest epoch from then on.
 */
export async function ownerKeyFor(userId: string, consultId: string, peerIdentity: Uint8Array, onTrust: boolean): Promise<ConsultKey & { provisional: boolean }> {
  const peer = toHex(await fingerprint(peerIdentity));
  const all = await stored(userId, consultId);
  // Only a key this device made: one opened from a copy is for reading (PROTOCOL §7.1).
  const held = all.find((k) => k.raw && !k.restored);
  // A key made before hand-overs were recorded counts as handed to nobody yet.
  if (held?.raw && !needsNewEpoch(held.handover ?? { givenTo: [], provisional: false }, peer, onTrust)) {
    const handover = handedTo(held.handover, peer, onTrust);
    await (await parleyDb()).put("consultKeys", { ...held, handover });
    return { epoch: held.epoch, keyId: held.keyId, key: held.raw, provisional: handover.provisional };
  }
  const handover = handedTo(undefined, peer, onTrust);
  const k = await createOwnerKey(userId, consultId, (all[0]?.epoch ?? -1) + 1, handover);
  return { ...k, provisional: handover.provisional };
}

/**
 * Removing a participant starts a new epoch (PROTOCOL §3): the owner makes epoch n+1, and from now
 * on seals under it and sends only it to the devices it verifies.
 */
export async function rotateConsultKey(userId: string, consultId: string): Promise<ConsultKey> {
  const held = await stored(userId, consultId);
  return createOwnerKey(userId, consultId, (held[0]?.epoch ?? -1) + 1);
}

/**
 * A key received from the verified owner, or (`restored`) opened from a sealed copy for reading
 * (PROTOCOL §7.1): stored non-extractable (a restored one with its bytes, to seal on to the
 * person's other devices), or refused by the rules.
 */
export async function storeReceivedKey(userId: string, consultId: string, k: ConsultKey, provisional: boolean, restored = false, copiedTo?: string[]): Promise<"added" | "known"> {
  const existing = await stored(userId, consultId);
  const same = existing.find((e) => equal(e.keyId, k.keyId));
  const key = await importAeadKey(k.key);
  try {
    if (same) {
      if (same.epoch !== k.epoch) throw new ProtocolError("a consult key id may never be overwritten");
      return "known";
    }
    if (existing.some((e) => e.epoch === k.epoch)) throw new ProtocolError(`epoch ${k.epoch} already has another key`);
    await (
      await parleyDb()
    ).add("consultKeys", {
      id: idOf(userId, consultId, k.keyId),
      consult: `${userId}|${consultId}`,
      epoch: k.epoch,
      keyId: new Uint8Array(k.keyId),
      key,
      receivedAt: Date.now(),
      provisional,
      // A restored key keeps its bytes so this device can pass it on to a device it links; it never seals under it.
      ...(restored ? { restored, raw: new Uint8Array(k.key) } : {}),
      ...(copiedTo ? { copiedTo } : {}),
    });
    return "added";
  } finally {
    k.key.fill(0);
  }
}

/** The highest epoch held for this consult on this device (what new items are sealed under). */
export async function currentConsultKey(userId: string, consultId: string): Promise<StoredConsultKey | undefined> {
  return (await stored(userId, consultId))[0];
}
