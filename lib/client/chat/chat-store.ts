"use client";
// This device's side of the chat in IndexedDB (lib/client/parley-db.ts): sealing a new message
// takes the next seq and the previous message's hash from the device's chain state and stores the
// sealed bytes in the outbox in one transaction, under a Web Lock so two tabs never take one seq
// (PROTOCOL §4). What the outbox holds is ciphertext; what leaves it is exactly those bytes.
import { chainHash, fingerprint, generateDraftKey, sealMessage, toBase64Url, toHex, uuidBytes, ZERO_HASH, type MessageKind } from "@/lib/crypto";
import type { PostMessageBody } from "@/lib/shared/api";
import { parleyDb, type OutboxEntry, type Pin, type StoredConsultKey } from "../parley-db";
import { chatMark } from "./chat-timeline";

const consultKey = (userId: string, consultId: string) => `${userId}|${consultId}`;
const chainKey = (userId: string, consultId: string, deviceId: string) => `${userId}|${consultId}|${deviceId}`;

/** Runs `fn` holding the consult's chat lock in every tab of this profile (or directly where there are no Web Locks). */
async function withChatLock<T>(userId: string, consultId: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return fn();
  return locks.request(`parley-chat|${consultKey(userId, consultId)}`, fn) as Promise<T>;
}

export type SealInput = {
  /** the message id (a random UUID v4), made when it was sent */
  id: string;
  /** when the person sent it (this device's clock), ms */
  sentAt: number;
  userId: string;
  consultId: string;
  deviceId: string;
  identityKey: CryptoKey;
  key: StoredConsultKey;
  kind: MessageKind;
  body: Uint8Array<ArrayBuffer>;
};

/** Seals `body` as this device's next message and stores it in the outbox; returns the entry. */
export async function sealIntoOutbox(input: SealInput): Promise<OutboxEntry> {
  return withChatLock(input.userId, input.consultId, async () => {
    chatMark("lock");
    const db = await parleyDb();
    const key = chainKey(input.userId, input.consultId, input.deviceId);
    const chain = (await db.get("chains", key)) ?? { key, nextSeq: 0, lastHash: ZERO_HASH() };
    chatMark("chain-read");
    const { id } = input;
    const sealed = await sealMessage(input.key.key, input.identityKey, {
      kind: input.kind,
      consultId: uuidBytes(input.consultId),
      keyId: input.key.keyId,
      senderDeviceId: uuidBytes(input.deviceId),
      messageId: uuidBytes(id),
      seq: BigInt(chain.nextSeq),
      prevHash: chain.lastHash,
      sentAt: BigInt(input.sentAt),
      body: input.body,
    });
    const body: PostMessageBody = {
      id,
      senderDeviceId: input.deviceId,
      seq: chain.nextSeq,
      keyId: toBase64Url(input.key.keyId),
      iv: toBase64Url(sealed.iv),
      ciphertext: toBase64Url(sealed.ciphertext),
    };
    chatMark("sealed");
    const entry: OutboxEntry = { id, consult: consultKey(input.userId, input.consultId), seq: chain.nextSeq, body, createdAt: Date.now() };
    const next = { key, nextSeq: chain.nextSeq + 1, lastHash: await chainHash(sealed.p) };
    chatMark("hashed");
    // Both writes are placed before anything else is awaited: an IndexedDB transaction commits as
    // soon as it has no request pending when its task ends, so awaiting WebCrypto between them (a
    // digest resolves in a later task in most engines) would commit the outbox entry alone and
    // leave the chain's seq to be taken again.
    const tx = db.transaction(["outbox", "chains"], "readwrite");
    await Promise.all([tx.objectStore("outbox").add(entry), tx.objectStore("chains").put(next), tx.done]);
    chatMark("stored");
    return entry;
  });
}

/**
 * The key this device masks a person's unsealed drafts under (send-drafts.ts), made on first use.
 * Two tabs that make one at once both get the first one stored.
 */
export async function draftKeyOf(userId: string): Promise<CryptoKey> {
  const db = await parleyDb();
  const held = await db.get("draftKeys", userId);
  if (held) return held.key;
  const made = { userId, key: await generateDraftKey(), createdAt: Date.now() };
  const tx = db.transaction("draftKeys", "readwrite");
  const first = await tx.store.get(userId);
  if (!first) await tx.store.add(made);
  await tx.done;
  return first?.key ?? made.key;
}

/** What is still to be sent for this consult, in seq order. */
export async function outboxOf(userId: string, consultId: string): Promise<OutboxEntry[]> {
  const all = await (await parleyDb()).getAllFromIndex("outbox", "byConsult", consultKey(userId, consultId));
  return all.sort((a, b) => a.seq - b.seq);
}

export async function removeFromOutbox(id: string): Promise<void> {
  await (await parleyDb()).delete("outbox", id);
}

export async function setOutboxFailure(id: string, failed: string | undefined): Promise<void> {
  const db = await parleyDb();
  const entry = await db.get("outbox", id);
  if (entry) await db.put("outbox", { ...entry, failed });
}

/** Every consult key this device holds for the consult, newest epoch first. */
export async function consultKeysOf(userId: string, consultId: string): Promise<StoredConsultKey[]> {
  const all = await (await parleyDb()).getAllFromIndex("consultKeys", "byConsult", consultKey(userId, consultId));
  return all.sort((a, b) => b.epoch - a.epoch);
}

/** Where a restored record's pins are kept (`pins` store): per person, consult and key fingerprint. */
export const historyPinKey = (myUserId: string, consultId: string, fingerprintHex: string) => `history|${myUserId}|${consultId}|${fingerprintHex}`;

/** A pin that came with a restored record (PROTOCOL §7.5), for a sender's key, if any. */
export async function historyPinOf(myUserId: string, consultId: string, spki: Uint8Array): Promise<Pin | undefined> {
  return (await parleyDb()).get("pins", historyPinKey(myUserId, consultId, toHex(await fingerprint(spki))));
}

/** The key this device pinned for a counterpart person (PROTOCOL §1), if any. */
export async function pinOf(myUserId: string, peerUserId: string): Promise<Pin | undefined> {
  return (await parleyDb()).get("pins", `${myUserId}|${peerUserId}`);
}

/**
 * Removes the consult from this device: its consult keys (without them nothing stored about the
 * consult can be read again), the outbox and the chain state. Pins of people stay.
 */
export async function eraseConsultFromDevice(userId: string, consultId: string): Promise<void> {
  await withChatLock(userId, consultId, async () => {
    const db = await parleyDb();
    const c = consultKey(userId, consultId);
    const tx = db.transaction(["consultKeys", "outbox", "chains"], "readwrite");
    const keys = await tx.objectStore("consultKeys").index("byConsult").getAllKeys(c);
    const queued = await tx.objectStore("outbox").index("byConsult").getAllKeys(c);
    const chains = await tx.objectStore("chains").getAllKeys(IDBKeyRange.bound(`${c}|`, `${c}|\uffff`));
    await Promise.all([
      ...keys.map((k) => tx.objectStore("consultKeys").delete(k)),
      ...queued.map((k) => tx.objectStore("outbox").delete(k)),
      ...chains.map((k) => tx.objectStore("chains").delete(k)),
      tx.done,
    ]);
  });
}
