import "server-only";
// Device registration (PROTOCOL §1): a browser profile's identity public key becomes a device of
// the signed-in user (guest patients too). The server checks that it is a real P-256 key and
// keeps its fingerprint; it never sees a private key.
import { fingerprint, fromBase64Url, importVerifyKey, toBase64Url, verifyBoxKey } from "@/lib/crypto";
import type { Db } from "./db";
import type { Tx } from "./events/log";
import type { SessionUser } from "./authz";
import { ApiError } from "./errors";
import { audit } from "./audit";
import { isUniqueViolation } from "./db/errors";

/**
 * Active devices an account keeps. Every browser profile (a private window too) is a device, so a
 * new one beyond this retires the one seen longest ago (audited) rather than locking the person
 * out; a retired browser that comes back makes itself a new identity (lib/client/device-identity.ts).
 */
export const MAX_DEVICES_PER_USER = 20;

export async function registerDevice(db: Db, user: SessionUser, identityKeyB64: string): Promise<{ deviceId: string; fingerprint: string }> {
  try {
    return await registerOnce(db, user, identityKeyB64);
  } catch (err) {
    // Two pages of one browser registering the same new identity at once: the second finds the first's row.
    if (!isUniqueViolation(err)) throw err;
    return registerOnce(db, user, identityKeyB64);
  }
}

async function registerOnce(db: Db, user: SessionUser, identityKeyB64: string) {
  let spki: Uint8Array<ArrayBuffer>;
  try {
    spki = fromBase64Url(identityKeyB64);
    await importVerifyKey(spki);
  } catch {
    throw new ApiError("invalid_input", "identityKey is not a P-256 public key (SPKI)");
  }
  const fp = await fingerprint(spki);
  const existing = await db.device.findUnique({ where: { fingerprint: fp } });
  if (existing) {
    if (existing.userId !== user.id) throw new ApiError("conflict", "This identity key is registered to another account");
    if (existing.revokedAt) throw new ApiError("forbidden", "This device was revoked; reload the page to create a new identity");
    await db.device.update({ where: { id: existing.id }, data: { lastSeenAt: new Date() } });
    return { deviceId: existing.id, fingerprint: toBase64Url(fp) };
  }
  const device = await db.$transaction(async (tx) => {
    const active = await tx.device.findMany({ where: { userId: user.id, revokedAt: null }, orderBy: { lastSeenAt: "asc" }, select: { id: true } });
    const retire = active.slice(0, Math.max(0, active.length - MAX_DEVICES_PER_USER + 1)).map((d) => d.id);
    if (retire.length > 0) {
      await tx.device.updateMany({ where: { id: { in: retire } }, data: { revokedAt: new Date() } });
      await tx.keyCopy.deleteMany({ where: { recipient: "device", recipientId: { in: retire } } });
      await tx.deviceLink.updateMany({
        where: { state: { in: ["open", "joined"] }, OR: [{ fromDeviceId: { in: retire } }, { toDeviceId: { in: retire } }] },
        data: { state: "cancelled", finishedAt: new Date() },
      });
      await audit({ action: "device.retired", actorUserId: user.id, detail: { deviceIds: retire, reason: "device limit" } }, tx);
    }
    const created = await tx.device.create({ data: { userId: user.id, identityKey: spki, fingerprint: fp } });
    await audit({ action: "device.registered", actorUserId: user.id, detail: { deviceId: created.id } }, tx);
    return created;
  });
  return { deviceId: device.id, fingerprint: toBase64Url(fp) };
}

/** The caller's active devices, newest first, as their device list shows them. */
export async function listDevices(db: Db, me: SessionUser) {
  const rows = await db.device.findMany({ where: { userId: me.id, revokedAt: null }, orderBy: { createdAt: "desc" } });
  return {
    devices: rows.map((d) => ({
      id: d.id,
      identityKey: toBase64Url(d.identityKey),
      fingerprint: toBase64Url(d.fingerprint),
      boxKey: d.boxKey ? toBase64Url(d.boxKey) : null,
      boxKeySig: d.boxKeySig ? toBase64Url(d.boxKeySig) : null,
      label: d.label,
      createdAt: d.createdAt.toISOString(),
      lastSeenAt: d.lastSeenAt.toISOString(),
      linkedAt: d.linkedAt?.toISOString() ?? null,
    })),
  };
}

/** One of the caller's active devices, or a 4xx. */
export async function ownActiveDevice(db: Db | Tx, me: SessionUser, deviceId: string) {
  const d = await db.device.findUnique({ where: { id: deviceId } });
  if (!d || d.userId !== me.id) throw new ApiError("not_found", "No such device of yours");
  if (d.revokedAt) throw new ApiError("forbidden", "This device was removed; reload the page to set this browser up again");
  return d;
}

/**
 * Registers a device's box key (PROTOCOL §7.2), once: the server checks that its identity signed
 * it, so a device list never shows a box key the device did not make. Key copies are sealed to it
 * only by devices that verified that identity themselves; the server's check is a courtesy.
 */
export async function setBoxKey(db: Db, me: SessionUser, deviceId: string, boxKeyB64: string, sigB64: string, ip?: string): Promise<void> {
  const d = await ownActiveDevice(db, me, deviceId);
  const boxKey = fromBase64Url(boxKeyB64);
  const sig = fromBase64Url(sigB64);
  if (!(await verifyBoxKey(d.identityKey, sig, me.id, d.id, boxKey))) throw new ApiError("invalid_input", "The box key's signature is not this device's");
  if (d.boxKey) {
    if (Buffer.from(d.boxKey).equals(Buffer.from(boxKey))) return;
    throw new ApiError("conflict", "This device already has another box key");
  }
  await db.$transaction(async (tx) => {
    const { count } = await tx.device.updateMany({ where: { id: d.id, boxKey: null }, data: { boxKey, boxKeySig: sig } });
    if (count === 0) throw new ApiError("conflict", "This device already has a box key");
    await audit({ action: "device.box_key", actorUserId: me.id, detail: { deviceId: d.id }, ip }, tx);
  });
}

/**
 * Removes one of the caller's devices (PROTOCOL §7.2): it is disabled, the key copies sealed to it
 * are deleted and no more go to it, and its links end. The device that removes it then starts a new
 * epoch in each open consult (in the browser), so a message written after now never opens on it.
 */
export async function removeDevice(db: Db, me: SessionUser, deviceId: string, ip?: string): Promise<{ copiesDeleted: number }> {
  return db.$transaction(async (tx) => {
    await ownActiveDevice(tx, me, deviceId);
    await tx.device.update({ where: { id: deviceId }, data: { revokedAt: new Date() } });
    const { count } = await tx.keyCopy.deleteMany({ where: { recipient: "device", recipientId: deviceId } });
    await tx.deviceLink.updateMany({
      where: { userId: me.id, state: { in: ["open", "joined"] }, OR: [{ fromDeviceId: deviceId }, { toDeviceId: deviceId }] },
      data: { state: "cancelled", finishedAt: new Date() },
    });
    await audit({ action: "device.removed", actorUserId: me.id, subjectUserId: me.id, detail: { deviceId, copiesDeleted: count }, ip }, tx);
    return { copiesDeleted: count };
  });
}
