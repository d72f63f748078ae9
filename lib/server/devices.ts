import "server-only";
// Device registration (PROTOCOL §1): a browser profile's identity public key becomes a device of
// the signed-in user (guest patients too). The server checks that it is a real P-256 key and
// keeps its fingerprint; it never sees a private key.
import { fingerprint, fromBase64Url, importVerifyKey, toBase64Url } from "@/lib/crypto";
import type { Db } from "./db";
import type { SessionUser } from "./authz";
import { ApiError } from "./errors";
import { audit } from "./audit";

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
  if ((await db.device.count({ where: { userId: user.id, revokedAt: null } })) >= MAX_DEVICES_PER_USER) {
    throw new ApiError("conflict", `An account can have at most ${MAX_DEVICES_PER_USER} devices; ask your clinic admin to remove old ones`);
  }
  const device = await db.device.create({ data: { userId: user.id, identityKey: spki, fingerprint: fp } });
  await audit({ action: "device.registered", actorUserId: user.id, detail: { deviceId: device.id } }, db);
  return { deviceId: device.id, fingerprint: toBase64Url(fp) };
}
