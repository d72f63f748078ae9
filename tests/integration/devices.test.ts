// Device registration (lib/server/devices.ts) on both databases: a real P-256 identity key becomes
// a device of the user, once; anything else is refused; a key cannot be claimed by another user.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { beforeAll, expect, it } from "vitest";

import { MAX_DEVICES_PER_USER, registerDevice } from "@/lib/server/devices";

import { apiErrorCode, createStaff, describeBackends, setupDatabase, setupTestEnv, type Staff } from "../support/db";

setupTestEnv();

const key = (curve = "P-256") => generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({ type: "spki", format: "der" }).toString("base64url");

const refusal = apiErrorCode;

describeBackends("devices", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;
  let other: Staff;

  beforeAll(async () => {
    doctor = await createStaff(t.db);
    other = await createStaff(t.db);
  });

  it("registers a P-256 identity key once, with its SHA-256 fingerprint, and audits it", async () => {
    const k = key();
    const first = await registerDevice(t.db, doctor, k);
    const again = await registerDevice(t.db, doctor, k);
    expect(again.deviceId).toBe(first.deviceId);
    const row = await t.db.device.findUniqueOrThrow({ where: { id: first.deviceId } });
    expect(Buffer.from(row.identityKey).toString("base64url")).toBe(k);
    expect(row.fingerprint).toHaveLength(32);
    expect(await t.db.auditEvent.count({ where: { action: "device.registered", actorUserId: doctor.id } })).toBe(1);
  });

  it("refuses a key registered to another user", async () => {
    const k = key();
    await registerDevice(t.db, doctor, k);
    expect(await refusal(registerDevice(t.db, other, k))).toBe("conflict");
  });

  it("refuses what is not a P-256 public key, writing nothing", async () => {
    const before = await t.db.device.count();
    for (const bad of [key("P-384"), randomBytes(91).toString("base64url"), "not base64url!", ""]) {
      expect(await refusal(registerDevice(t.db, doctor, bad))).toBe("invalid_input");
    }
    expect(await t.db.device.count()).toBe(before);
  });

  it(`keeps an account to ${MAX_DEVICES_PER_USER} devices: a new one retires the one seen longest ago, audited`, async () => {
    const many = await createStaff(t.db);
    const keys = Array.from({ length: MAX_DEVICES_PER_USER }, () => key());
    const ids: string[] = [];
    for (const k of keys) ids.push((await registerDevice(t.db, many, k)).deviceId);
    // The first device is seen again, so the second is now the one seen longest ago.
    await t.db.device.update({ where: { id: ids[0] }, data: { lastSeenAt: new Date(Date.now() + 1_000) } });
    const newest = await registerDevice(t.db, many, key());
    const active = await t.db.device.findMany({ where: { userId: many.id, revokedAt: null }, select: { id: true } });
    expect(active).toHaveLength(MAX_DEVICES_PER_USER);
    expect(active.map((d) => d.id)).toContain(newest.deviceId);
    expect(active.map((d) => d.id)).toContain(ids[0]);
    expect(active.map((d) => d.id)).not.toContain(ids[1]);
    const retired = await t.db.auditEvent.findFirstOrThrow({ where: { action: "device.retired", actorUserId: many.id } });
    expect(retired.detail).toEqual({ deviceIds: [ids[1]], reason: "device limit" });
    // The retired browser is told so when it comes back (and makes itself a new identity).
    expect(await refusal(registerDevice(t.db, many, keys[1]!))).toBe("forbidden");
  });
});
