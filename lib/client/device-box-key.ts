"use client";
// This device's box key (PROTOCOL §7.2): an ECDH P-256 key pair beside the identity, its private
// half non-extractable in IndexedDB, its public half signed by the identity and registered with the
// server once. Key copies from the person's other devices are sealed to it.
import { generateDeviceBoxKey, signBoxKey, toBase64Url, type BoxKey } from "@/lib/crypto";
import { api } from "./api";
import { parleyDb, type DeviceIdentity } from "./parley-db";

/** The identity's box key: made on first need, registered until the server has it. */
export async function ensureBoxKey(identity: DeviceIdentity): Promise<BoxKey> {
  const deviceId = identity.deviceId;
  if (!deviceId) throw new Error("this device is not registered yet");
  const db = await parleyDb();
  let current = (await db.get("identities", identity.userId)) ?? identity;
  if (!current.boxKey) {
    const made = await generateDeviceBoxKey();
    // Another tab may have made one meanwhile: keep whichever is stored first.
    const tx = db.transaction("identities", "readwrite");
    const fresh = await tx.store.get(identity.userId);
    if (fresh && !fresh.boxKey) await tx.store.put({ ...fresh, boxKey: made });
    await tx.done;
    current = (await db.get("identities", identity.userId)) ?? current;
  }
  const boxKey = current.boxKey;
  if (!boxKey) throw new Error("this device's box key could not be stored");
  if (!current.boxKeyRegistered) {
    const sig = await signBoxKey(current.privateKey, current.userId, deviceId, boxKey.spki);
    await api.put(`/api/devices/${deviceId}/box-key`, { boxKey: toBase64Url(boxKey.spki), sig: toBase64Url(sig) });
    const latest = await db.get("identities", identity.userId);
    if (latest) await db.put("identities", { ...latest, boxKeyRegistered: true });
  }
  return { privateKey: boxKey.privateKey, spki: boxKey.spki };
}
