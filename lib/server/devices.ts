import "server-only";
// Device registration (PROTOCOL §1): a browser profile's identity public key becomes a device of
// the signed-in user (guest patients too). The server checks that it is a real P-256 key and
// keeps its fingerprint; it never sees a private key.
import { fingerprint, fromBase64Url, importVerifyKey, toBase64Url } from "@/lib/crypto";
import type { Db } from "./db";
import type { SessionUser } from "./authz";
import { ApiError } from "./errors";
import { audit } from "./audit";

/**
 * Active devices an account keeps. Every browser profile (a private window too) is a device, so a
 * new one beyond this retires the one seen longest ago (audited) rather than locking the person
 * out; a retired browser that comes back makes itself a new identity (lib/client/device-identity.ts).
 */
export const MAX_DEVICES_PER_USER = 20;

export async function registerDevice(db: Db, user: SessionUser, identityKeyB64: string) {
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
      await audit({ action: "device.retired", actorUserId: user.id, detail: { deviceIds: retire, reason: "device limit" } }, tx);
    }
    const created = await tx.device.create({ data: { userId: user.id, identityKey: spki, fingerprint: fp } });
    await audit({ action: "device.registered", actorUserId: user.id, detail: { deviceId: created.id } }, tx);
    return created;
  });
  return { deviceId: device.id, fingerprint: toBase64Url(fp) };
}
