"use client";
// The person's devices as their list shows them (PROTOCOL §7.2), and removing one: the server
// disables it and deletes the copies sealed to it; this device forgets its keys and starts a new
// epoch in each open consult it holds keys of, sealed only to the devices that remain, so a
// message written from now on never opens on the removed one.
import QRCode from "qrcode";
import { fromBase64Url } from "@/lib/crypto";
import { deviceListAnswer, type DeviceInfo } from "@/lib/shared/devices";
import { api } from "../api";
import { currentConsultKey, rotateConsultKey } from "../consult-keys";
import { browserPins, shortFingerprint } from "../device-identity";
import { copyHeldKeys, linkedDevicePinKey, ownDevicePinKey } from "../key-copies";

export type DeviceRow = DeviceInfo & { shortFingerprint: string; linkedHere: boolean };

export async function listDevices(userId: string): Promise<DeviceRow[]> {
  const { devices } = await api.get("/api/devices", deviceListAnswer);
  return Promise.all(devices.map(async (d) => ({ ...d, shortFingerprint: shortFingerprint(fromBase64Url(d.fingerprint)), linkedHere: !!(await browserPins.get(linkedDevicePinKey(userId, d.id))) })));
}

/**
 * Removes a device, then rotates: a new epoch in each of `openConsultIds` whose keys this device
 * holds, copied to the backup and the linked devices that remain. Returns how many consults got a
 * new key.
 */
export async function removeDevice(userId: string, myDeviceId: string, deviceId: string, openConsultIds: string[]): Promise<{ rotated: number }> {
  await api.delete(`/api/devices/${deviceId}`);
  await browserPins.delete(linkedDevicePinKey(userId, deviceId));
  await browserPins.delete(ownDevicePinKey(userId, deviceId));
  let rotated = 0;
  for (const consultId of openConsultIds) {
    if (!(await currentConsultKey(userId, consultId))) continue;
    await rotateConsultKey(userId, consultId);
    rotated++;
  }
  await copyHeldKeys(userId, myDeviceId);
  return { rotated };
}

/** The QR code of a link URL, as an image the page shows. */
export function qrImage(url: string): Promise<string> {
  return QRCode.toDataURL(url, { errorCorrectionLevel: "M", margin: 1, width: 220 });
}
