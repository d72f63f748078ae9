import "server-only";
// Sealed copies of consult keys and name keys (PROTOCOL §7.1): the consult's doctor's device seals
// each key it makes to the person's backup key and linked devices, and the server keeps the boxes.
// It checks only where a copy may go (the doctor's own devices and backup) and the boxes' sizes; it
// can open none of them. A device reads back the copies addressed to its person.
import { fromBase64Url, toBase64Url } from "@/lib/crypto";
import { copyKind, copyRecipient, type KeyCopyBody, type StoredKeyCopy } from "@/lib/shared/keys";
import type { ConsultAccess, SessionUser } from "./authz";
import type { Db } from "./db";
import { ApiError } from "./errors";
import { audit } from "./audit";
import { currentRecordsKey } from "./records-key";

/** enc(SPKI(e) 91, iv 12, ct): a consult key's ct is 52 + 16 bytes, a name key's PKCS#8 138 + 16, pins 738 + 16. */
const BOX_BYTES = { consult: 12 + 91 + 12 + 52 + 16, name: 12 + 91 + 12 + 138 + 16, pins: 12 + 91 + 12 + 738 + 16 } as const;
export const COPIES_PAGE = 200;

function decodeCopy(c: KeyCopyBody) {
  const box = fromBase64Url(c.box);
  const keyId = fromBase64Url(c.keyId);
  if (box.length !== BOX_BYTES[c.kind]) throw new ApiError("invalid_input", `a sealed ${c.kind} key is ${BOX_BYTES[c.kind]} bytes`);
  if (keyId.length !== 16) throw new ApiError("invalid_input", "keyId is 16 bytes");
  if (c.kind !== "consult" && c.epoch !== 0) throw new ApiError("invalid_input", `a ${c.kind} copy has epoch 0`);
  return { box, keyId };
}

/**
 * Stores copies sealed by one of the doctor's devices for this consult (the owner's route). Each
 * goes to one of the doctor's active devices or to the doctor's own backup; the same copy again
 * is a no-op. All or nothing: one copy that may not be stored refuses the request.
 */
export async function addKeyCopies(db: Db, access: ConsultAccess, fromDeviceId: string, copies: KeyCopyBody[], ip?: string): Promise<{ added: number }> {
  const me = access.user;
  const decoded = copies.map((c) => ({ ...c, ...decodeCopy(c) }));
  return db.$transaction(async (tx) => {
    const devices = await tx.device.findMany({ where: { userId: me.id, revokedAt: null }, select: { id: true, boxKey: true } });
    const mine = new Set(devices.map((d) => d.id));
    if (!mine.has(fromDeviceId)) throw new ApiError("forbidden", "fromDeviceId is not one of your active devices");
    const boxed = new Set(devices.filter((d) => d.boxKey).map((d) => d.id));
    const hasBackup = (await tx.keyBackup.count({ where: { userId: me.id } })) > 0;
    const records = decoded.some((c) => c.recipient === "records") ? await currentRecordsKey(tx) : null;
    for (const c of decoded) {
      if (c.recipient === "device" && !mine.has(c.recipientId)) throw new ApiError("invalid_input", "A copy may go only to one of your active devices");
      if (c.recipient === "device" && !boxed.has(c.recipientId)) throw new ApiError("conflict", "That device has no box key yet");
      if (c.recipient === "backup" && c.recipientId !== me.id) throw new ApiError("invalid_input", "A backup copy goes to your own backup only");
      if (c.recipient === "backup" && !hasBackup) throw new ApiError("conflict", "You have no key backup: set a passphrase first");
      if (c.recipient === "records" && c.recipientId !== records?.id)
        throw new ApiError("invalid_input", records ? "A records copy goes to the clinic's current records key" : "This clinic has no records key");
    }
    const { count } = await tx.keyCopy.createMany({
      data: decoded.map((c) => ({
        consultId: access.consult.id,
        recipient: c.recipient,
        recipientId: c.recipientId,
        kind: c.kind,
        epoch: c.epoch,
        keyId: c.keyId,
        box: c.box,
        fromDeviceId,
      })),
      skipDuplicates: true,
    });
    if (count > 0) {
      const to = [...new Set(decoded.map((c) => c.recipient))].sort();
      await audit({ action: "keys.copied", actorUserId: me.id, consultId: access.consult.id, detail: { count, to, fromDeviceId }, ip }, tx);
    }
    return { added: count };
  });
}

/**
 * The copies sealed to the caller's devices, or to the caller's backup key, a page at a time in a
 * stable order (`after`: the last id of the previous page).
 */
export async function listKeyCopies(db: Db, me: SessionUser, recipient: "device" | "backup", after?: string): Promise<{ copies: StoredKeyCopy[]; next: string | null }> {
  if (me.role === "patient") throw new ApiError("forbidden", "Only clinic staff keep key copies");
  const recipientIds = recipient === "backup" ? [me.id] : (await db.device.findMany({ where: { userId: me.id, revokedAt: null }, select: { id: true } })).map((d) => d.id);
  const rows = await db.keyCopy.findMany({
    where: { recipient, recipientId: { in: recipientIds }, ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: "asc" },
    take: COPIES_PAGE + 1,
  });
  const page = rows.slice(0, COPIES_PAGE);
  return {
    copies: page.map((r) => ({
      id: r.id,
      consultId: r.consultId,
      recipient: copyRecipient.parse(r.recipient),
      recipientId: r.recipientId,
      kind: copyKind.parse(r.kind),
      epoch: r.epoch,
      keyId: toBase64Url(r.keyId),
      box: toBase64Url(r.box),
    })),
    next: rows.length > COPIES_PAGE ? (page.at(-1)?.id ?? null) : null,
  };
}
