// Opens messages for the chat log (PROTOCOL §4): a stored message from the server, checked against
// the consult key it names and the pinned identity of its sender; and this device's own outbox
// entries, shown as "sending" after a reload.
import { equal, fromBase64Url, openMessage, toHex, uuidBytes, type ChatMessage } from "@/lib/crypto";
import type { StoredMessage } from "@/lib/shared/api";
import type { DeviceIdentity, OutboxEntry, Pin, StoredConsultKey } from "../parley-db";
import { NO_KEY, type ChatLog, type MessageMeta } from "./chat-log";
import { shownMessage, type ShownMessage } from "./message-body";

const UNVERIFIABLE = "This message could not be verified: it was altered, or not sealed by the device it claims.";
const WRONG_KEY = "This message could not be verified: it is signed for a key this device does not know for its sender.";

export type OpenerContext = {
  consultId: string;
  userId: string;
  /** this device: what it sent needs no pin */
  identity: Pick<DeviceIdentity, "spki"> & { deviceId: string };
  log: ChatLog;
  /** the consult keys this device holds, by hex key id */
  keys: ReadonlyMap<string, StoredConsultKey>;
  /** the pin of a person (cached by the caller: opening must not hit IndexedDB for each message) */
  pinOf(userId: string): Promise<Pin | undefined>;
  /** a pin that came with a restored record for a sender's key (PROTOCOL §7.5) */
  historyPinOf(spki: Uint8Array): Promise<Pin | undefined>;
};

/** Adds a stored message to the log: opened and verified, or unverifiable with the reason. */
export async function openStored(ctx: OpenerContext, m: StoredMessage): Promise<void> {
  const { log, identity } = ctx;
  const meta: MessageMeta = { id: m.id, senderDeviceId: m.senderDeviceId, senderUserId: m.senderUserId, seq: m.seq, storedAt: Date.parse(m.createdAt) || Date.now() };
  const key = ctx.keys.get(toHex(fromBase64Url(m.keyId)));
  if (!key) {
    log.addUnverifiable(meta, NO_KEY);
    return;
  }
  let spki: Uint8Array;
  let verified: boolean;
  if (m.senderDeviceId === identity.deviceId) {
    spki = identity.spki;
    verified = true;
  } else {
    const pin = await ctx.pinOf(m.senderUserId);
    if (pin && equal(pin.spki, fromBase64Url(m.senderIdentityKey))) {
      spki = pin.spki;
      verified = pin.verified;
    } else if (!pin && key.restored) {
      // A record read on another device (a restored backup, PROTOCOL §7.5): this device never met
      // the sender. The signature is checked against the key the server names, shown as verified
      // only when the device that held the record had compared it (its pins came with the backup).
      spki = fromBase64Url(m.senderIdentityKey);
      verified = !!(await ctx.historyPinOf(spki))?.verified;
    } else {
      log.addUnverifiable(meta, WRONG_KEY);
      return;
    }
  }
  let opened: { message: ChatMessage; p: Uint8Array };
  let shown: ShownMessage;
  try {
    opened = await openMessage(
      key.key,
      fromBase64Url(m.iv),
      fromBase64Url(m.ciphertext),
      { consultId: uuidBytes(ctx.consultId), keyId: fromBase64Url(m.keyId), senderDeviceId: uuidBytes(m.senderDeviceId), messageId: uuidBytes(m.id), seq: BigInt(m.seq) },
      spki,
    );
    shown = shownMessage(opened.message);
  } catch {
    log.addUnverifiable(meta, UNVERIFIABLE);
    return;
  }
  // Nothing sealed under a key that went out on trust is shown as verified (docs/protocol.md "Epochs").
  const provisional = !!(key.provisional || key.handover?.provisional);
  await log.addOpened(meta, opened.message, opened.p, shown.body, verified && !provisional, shown.file, provisional);
}

/** Shows this device's outbox entries the log does not have yet as "sending" (or failed). */
export async function showOutbox(ctx: OpenerContext, entries: OutboxEntry[]): Promise<void> {
  const { log, identity } = ctx;
  for (const e of entries) {
    if (log.has(e.id)) continue;
    const key = ctx.keys.get(toHex(fromBase64Url(e.body.keyId)));
    if (!key) continue;
    try {
      const { message } = await openMessage(
        key.key,
        fromBase64Url(e.body.iv),
        fromBase64Url(e.body.ciphertext),
        { consultId: uuidBytes(ctx.consultId), keyId: fromBase64Url(e.body.keyId), senderDeviceId: uuidBytes(identity.deviceId), messageId: uuidBytes(e.id), seq: BigInt(e.seq) },
        identity.spki,
      );
      const shown = shownMessage(message);
      log.addPending({ id: e.id, senderDeviceId: identity.deviceId, senderUserId: ctx.userId, seq: e.seq, storedAt: e.createdAt }, shown.body, Number(message.sentAt), e.failed, shown.file);
    } catch {
      // not ours to show (sealed by an identity this profile no longer has)
    }
  }
}
