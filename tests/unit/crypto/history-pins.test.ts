// PROTOCOL §7.5: a consult's pins sealed to the backup key, a linked device or the records key
// (lib/crypto/history-pins.ts). The fixed vectors (scripts/gen-backup-vectors.ts, opened there with
// node:crypto) recomputed byte for byte; then what a reader refuses: another person's, device's or
// consult's pins, a box for another kind of recipient, an altered box, bad padding.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  decodeHistoryPins,
  encodeHistoryPins,
  fromHex,
  HISTORY_PINS_BOX_BYTES,
  HISTORY_PINS_BYTES,
  LABEL,
  openHistoryPins,
  sealHistoryPins,
  subtle,
  toHex,
  type BoxKey,
  type CopyRecipient,
} from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() });
const key = z.object({ jwk, spki: hex }).loose();
const recipient = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("device"), userId: z.uuid(), deviceId: z.uuid() }).strict(),
  z.object({ kind: z.literal("backup"), userId: z.uuid() }).strict(),
  z.object({ kind: z.literal("records") }).strict(),
]);
const otherBox = z.object({ recipient, label: z.string(), salt: z.uuid(), box: hex }).loose();
const Vectors = z.object({
  keys: z.object({ backup: key, device: key, records: key, ephemeral: key }).loose(),
  input: z.object({ userId: z.uuid(), consultId: z.uuid(), deviceId: z.uuid(), iv: hex, other: z.object({ userId: z.uuid(), consultId: z.uuid(), deviceId: z.uuid() }).loose() }).loose(),
  pins: z.object({ pins: z.array(z.object({ spki: hex, verified: z.boolean(), own: z.boolean() })).length(3), box: hex, device: otherBox, records: otherBox }).loose(),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-devices-backup.json", import.meta.url)), "utf8")));
const { userId, consultId, deviceId, other } = v.input;
const ALG = { name: "ECDH", namedCurve: "P-256" } as const;
const privateOf = (k: z.infer<typeof key>) => subtle().importKey("jwk", k.jwk, ALG, false, ["deriveBits"]);
const publicOf = (k: z.infer<typeof key>) => subtle().importKey("jwk", { kty: "EC", crv: "P-256", x: k.jwk.x, y: k.jwk.y }, ALG, true, []);
const backupKey = async () => ({ privateKey: await privateOf(v.keys.backup), spki: fromHex(v.keys.backup.spki) });
const keyOf = { device: v.keys.device, backup: v.keys.backup, records: v.keys.records } as const;
const boxKey = async (kind: CopyRecipient["kind"]): Promise<BoxKey> => ({ privateKey: await privateOf(keyOf[kind]), spki: fromHex(keyOf[kind].spki) });
const pins = v.pins.pins.map((p) => ({ ...p, spki: fromHex(p.spki) }));
const device: CopyRecipient = { kind: "device", userId, deviceId };
const backup: CopyRecipient = { kind: "backup", userId };
const records: CopyRecipient = { kind: "records" };

describe("history pins: the fixed vector", () => {
  it("seals the consult's pins to exactly the vector's bytes, and opens them back", async () => {
    const ephemeral = { privateKey: await privateOf(v.keys.ephemeral), publicKey: await publicOf(v.keys.ephemeral) };
    const box = await sealHistoryPins(backup, consultId, pins, fromHex(v.keys.backup.spki), { ephemeral, iv: fromHex(v.input.iv) });
    expect(toHex(box)).toBe(v.pins.box);
    expect(box).toHaveLength(HISTORY_PINS_BOX_BYTES);
    const opened = await openHistoryPins(backup, consultId, box, await backupKey());
    expect(opened.map((p) => ({ ...p, spki: toHex(p.spki) }))).toEqual(v.pins.pins);
  });

  it("the device's and the records key's contexts are the vectors' (labels and salts)", () => {
    expect([v.pins.device.recipient, v.pins.device.label, v.pins.device.salt]).toEqual([device, LABEL.devicePins, userId]);
    expect([v.pins.records.recipient, v.pins.records.label, v.pins.records.salt]).toEqual([records, LABEL.recordsPins, consultId]);
  });

  it.each([v.pins.device, v.pins.records])("seals the same pins to the $recipient.kind key to exactly the vector's bytes, and opens them back", async (c) => {
    const ephemeral = { privateKey: await privateOf(v.keys.ephemeral), publicKey: await publicOf(v.keys.ephemeral) };
    const box = await sealHistoryPins(c.recipient, consultId, pins, fromHex(keyOf[c.recipient.kind].spki), { ephemeral, iv: fromHex(v.input.iv) });
    expect(toHex(box)).toBe(c.box);
    expect(box).toHaveLength(HISTORY_PINS_BOX_BYTES);
    const opened = await openHistoryPins(c.recipient, consultId, box, await boxKey(c.recipient.kind));
    expect(opened.map((p) => ({ ...p, spki: toHex(p.spki) }))).toEqual(v.pins.pins);
  });
});

describe("history pins: what a reader refuses", () => {
  it("another person's or another consult's pins do not open", async () => {
    const box = fromHex(v.pins.box);
    await expect(openHistoryPins({ kind: "backup", userId: other.userId }, consultId, box, await backupKey())).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(backup, other.consultId, box, await backupKey())).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(records, other.consultId, fromHex(v.pins.records.box), await boxKey("records"))).rejects.toThrow(/decryption failed/);
  });

  it("a device's pins do not open as another device's, another person's device's, nor as the backup's", async () => {
    const box = fromHex(v.pins.device.box);
    const k = await boxKey("device");
    await expect(openHistoryPins({ ...device, deviceId: other.deviceId }, consultId, box, k)).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins({ ...device, userId: other.userId }, consultId, box, k)).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(device, other.consultId, box, k)).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(backup, consultId, box, k)).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(records, consultId, box, k)).rejects.toThrow(/decryption failed/);
  });

  it("a box for one kind of recipient does not open as another kind, under the same key (labels differ)", async () => {
    const k = await boxKey("device");
    const asBackup = await sealHistoryPins(backup, consultId, pins, k.spki);
    const asRecords = await sealHistoryPins(records, consultId, pins, k.spki);
    await expect(openHistoryPins(device, consultId, asBackup, k)).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(device, consultId, asRecords, k)).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(backup, consultId, asRecords, k)).rejects.toThrow(/decryption failed/);
    expect(await openHistoryPins(backup, consultId, asBackup, k)).toHaveLength(3);
    expect(await openHistoryPins(records, consultId, asRecords, k)).toHaveLength(3);
  });

  it("a flipped bit is refused", async () => {
    const box = fromHex(v.pins.box);
    box[200] = (box[200] ?? 0) ^ 1;
    await expect(openHistoryPins(backup, consultId, box, await backupKey())).rejects.toThrow();
  });

  it("every list has one size; more than 8 pins, bad flags or bytes after the last pin are refused", () => {
    expect(encodeHistoryPins([])).toHaveLength(HISTORY_PINS_BYTES);
    expect(encodeHistoryPins(pins)).toHaveLength(HISTORY_PINS_BYTES);
    expect(decodeHistoryPins(encodeHistoryPins(pins)).map((p) => p.verified)).toEqual([true, true, false]);
    expect(() => encodeHistoryPins(Array.from({ length: 9 }, () => pins[0] ?? { spki: new Uint8Array(91), verified: false, own: false }))).toThrow(/at most 8/);
    const badFlags = encodeHistoryPins(pins);
    badFlags[2 + 91] = 4;
    expect(() => decodeHistoryPins(badFlags)).toThrow(/flags/);
    const trailing = encodeHistoryPins(pins);
    trailing[HISTORY_PINS_BYTES - 1] = 1;
    expect(() => decodeHistoryPins(trailing)).toThrow(/padding/);
  });
});
