import "server-only";
// Sealed chat messages (PROTOCOL §4) as the server keeps them: ids, seq, key id, IV and
// ciphertext, nothing it could read. Posting is idempotent on the client-made message id (a retry
// resends the same bytes and gets the same answer); a different message under a used id or seq is
// refused. Each new message appends a `message`/`new` event carrying the stored message to the
// consult's log in the same transaction, so receivers need no second request. Receipts
// ("delivered", "read") are events too: metadata the server relays, never content. The consult's
// owner can delete every stored message of the consult (and the events that carried them).
import type { z } from "zod";
import type { Db } from "./db";
import type { ConsultAccess } from "./authz";
import { ApiError } from "./errors";
import { isUniqueViolation } from "./db/errors";
import { appendEvent, appendMessage, withEvents } from "./events/log";
import { audit } from "./audit";
import { refuseIfHeld } from "./legal-hold";
import { checkRate } from "./rate-limits";
import { deleteConsultFiles } from "./files";
import type { BlobStore } from "./storage/types";
import type { MessageReceipt, postMessageBody, StoredMessage } from "@/lib/shared/api";

type Body = z.infer<typeof postMessageBody>;
type Sender = { userId: string; identityKey: Uint8Array };

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));

type Row = { id: string; senderDeviceId: string; seq: bigint; keyId: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array; createdAt: Date };

function view(m: Row, sender: Sender): StoredMessage {
  return {
    id: m.id,
    senderDeviceId: m.senderDeviceId,
    seq: Number(m.seq),
    keyId: b64(m.keyId),
    iv: b64(m.iv),
    ciphertext: b64(m.ciphertext),
    createdAt: m.createdAt.toISOString(),
    senderUserId: sender.userId,
    senderIdentityKey: b64(sender.identityKey),
  };
}

/** Padded plaintext sizes (PROTOCOL §4) plus the 16-byte tag: anything else is not a sealed message. */
function isSealedLength(n: number): boolean {
  const plain = n - 16;
  return plain === 256 || plain === 1024 || plain === 4096 || (plain > 0 && plain % 16384 === 0);
}

/**
 * The immutable part of a device row (its user and identity key never change; only `revokedAt`
 * and `lastSeenAt` do), kept per process so a message costs no device read: whether the device is
 * still the caller's and not revoked is checked by the insert itself.
 */
type DeviceFacts = { userId: string; identityKey: Uint8Array };
const g = globalThis as { __parleyDeviceFacts?: Map<string, DeviceFacts> };
const DEVICE_CACHE_MAX = 10_000;

async function deviceFacts(db: Db, deviceId: string): Promise<DeviceFacts | undefined> {
  const cache = (g.__parleyDeviceFacts ??= new Map<string, DeviceFacts>());
  const known = cache.get(deviceId);
  if (known) return known;
  const d = await db.device.findUnique({ where: { id: deviceId }, select: { userId: true, identityKey: true } });
  if (!d) return undefined;
  if (cache.size >= DEVICE_CACHE_MAX) cache.clear();
  cache.set(deviceId, d);
  return d;
}

/** Past the participant's message limit the message is refused (429) and nothing is written: the outbox sends it again later. */
export async function postMessage(db: Db, access: ConsultAccess, body: Body): Promise<{ message: StoredMessage; created: boolean }> {
  if (!isSealedLength(Buffer.from(body.ciphertext, "base64url").length)) throw new ApiError("invalid_input", "ciphertext is not a padded, sealed message");
  const device = await deviceFacts(db, body.senderDeviceId);
  if (!device || device.userId !== access.user.id) throw new ApiError("forbidden", "senderDeviceId is not one of your devices");
  await checkRate(db, access.participant.id, "message");
  const createdAt = new Date();
  const stored: StoredMessage = {
    id: body.id,
    senderDeviceId: body.senderDeviceId,
    seq: body.seq,
    keyId: body.keyId,
    iv: body.iv,
    ciphertext: body.ciphertext,
    createdAt: createdAt.toISOString(),
    senderUserId: device.userId,
    senderIdentityKey: b64(device.identityKey),
  };
  let appended: Awaited<ReturnType<typeof appendMessage>>;
  try {
    appended = await appendMessage(
      db,
      {
        id: body.id,
        consultId: access.consult.id,
        senderDeviceId: body.senderDeviceId,
        senderUserId: access.user.id,
        senderParticipantId: access.participant.id,
        seq: BigInt(body.seq),
        keyId: bytes(body.keyId),
        iv: bytes(body.iv),
        ciphertext: bytes(body.ciphertext),
        createdAt,
      },
      stored,
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A used id (a retry, or a clash) or a used seq of this device.
    const existing = await db.message.findUnique({ where: { id: body.id } });
    if (!existing) throw new ApiError("conflict", "This device already sent a message with this seq");
    const same =
      existing.consultId === access.consult.id &&
      existing.senderDeviceId === body.senderDeviceId &&
      Number(existing.seq) === body.seq &&
      b64(existing.keyId) === body.keyId &&
      b64(existing.iv) === body.iv &&
      b64(existing.ciphertext) === body.ciphertext;
    if (!same) throw new ApiError("conflict", "Another message already uses this id");
    return { message: view(existing, device), created: false };
  }
  if (!appended.device) throw new ApiError("forbidden", "senderDeviceId is not one of your devices");
  if (!appended.event) throw new ApiError("not_found", "No such consult");
  return { message: stored, created: true };
}

/** The consult's messages in the order the server received them (receivers order by seq). */
export async function listMessages(db: Db, access: { consult: { id: string } }, limit = 1000): Promise<StoredMessage[]> {
  const rows = await db.message.findMany({ where: { consultId: access.consult.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: limit });
  const ids = [...new Set(rows.map((r) => r.senderDeviceId))];
  const devices = await db.device.findMany({ where: { id: { in: ids } }, select: { id: true, userId: true, identityKey: true } });
  const byId = new Map(devices.map((d) => [d.id, d]));
  return rows.flatMap((r) => {
    const d = byId.get(r.senderDeviceId);
    return d ? [view(r, d)] : [];
  });
}

/** The consult's history as a participant or its doctor reads it: audited with how many messages (never which). */
export async function readHistory(db: Db, access: ConsultAccess): Promise<StoredMessage[]> {
  const messages = await listMessages(db, access);
  await audit({ action: "messages.read", actorUserId: access.user.id, consultId: access.consult.id, detail: { count: messages.length } }, db);
  return messages;
}

/** Relays a receipt to the consult (the sender's device marks its messages up to `seq`); refused (429) past the participant's receipt limit. */
export async function postReceipt(db: Db, access: ConsultAccess, receipt: MessageReceipt): Promise<void> {
  await checkRate(db, access.participant.id, "receipt");
  await appendEvent(db, { consultId: access.consult.id, kind: "message", type: "receipt", from: access.participant.id, payload: receipt });
}

/**
 * The owner deletes the consult's stored messages: the rows and the events that carried them.
 * Devices keep what they already decrypted only in memory; the audit log records the deletion.
 */
export async function deleteMessages(db: Db, access: ConsultAccess, files = 0): Promise<number> {
  return withEvents(db, access.consult.id, async (tx, emit) => {
    const { count } = await tx.message.deleteMany({ where: { consultId: access.consult.id } });
    await tx.event.deleteMany({ where: { consultId: access.consult.id, kind: "message", type: "new" } });
    await audit({ action: "messages.deleted", actorUserId: access.user.id, consultId: access.consult.id, detail: { count, files } }, tx);
    emit({ consultId: access.consult.id, kind: "message", type: "deleted", from: access.participant.id, payload: { count, files } });
    return count;
  });
}

/**
 * The doctor deletes the consult's record from the server: its documents (their keys were only in
 * the messages, so they could no longer be opened), then every stored message.
 */
export async function deleteRecord(db: Db, store: BlobStore, access: ConsultAccess): Promise<{ deleted: number; files: number }> {
  await refuseIfHeld(db, access.consult.id);
  const files = await deleteConsultFiles(db, store, access.consult.id);
  const deleted = await deleteMessages(db, access, files);
  return { deleted, files };
}
