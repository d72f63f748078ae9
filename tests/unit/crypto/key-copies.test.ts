// PROTOCOL §7.1: consult keys and name keys sealed to a device, the backup key and the records key.
// The fixed vectors (scripts/gen-backup-vectors.ts, checked there against node:crypto) are recomputed
// through lib/crypto; then what a reader must refuse.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  boxKeyFromScalar,
  CONSULT_KEY_COPY_BYTES,
  exportBoxKey,
  fromHex,
  generateEcdhKey,
  importBoxKey,
  LABEL,
  newConsultKey,
  openConsultKeyCopy,
  openBox,
  openNameKeyCopy,
  PKCS8_BYTES,
  sealBox,
  sealConsultKeyCopy,
  sealNameKeyCopy,
  subtle,
  toHex,
  uuidBytes,
  type BoxKey,
  type ConsultKey,
  type CopyRecipient,
} from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() });
const key = z.object({ tests: z.string(), seed: z.string(), d: hex, jwk, spki: hex });
const recipient = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("device"), userId: z.uuid(), deviceId: z.uuid() }).strict(),
  z.object({ kind: z.literal("backup"), userId: z.uuid() }).strict(),
  z.object({ kind: z.literal("records") }).strict(),
]);
const Vectors = z.object({
  protocol: z.literal("parley/v1"),
  keys: z.object({ device: key, backup: key, records: key, nameKey: key, ephemeral: key }),
  input: z.object({
    userId: z.uuid(),
    consultId: z.uuid(),
    deviceId: z.uuid(),
    consultKey: z.object({ epoch: z.number().int().nonnegative(), keyId: hex, key: hex }),
    namePkcs8: hex,
    iv: hex,
    other: z.object({ userId: z.uuid(), consultId: z.uuid(), deviceId: z.uuid() }),
  }),
  copies: z.array(z.object({ what: z.enum(["consult key", "name key"]), recipient, label: z.string(), salt: z.uuid(), box: hex })).length(6),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-devices-backup.json", import.meta.url)), "utf8")));
const { consultId, userId, deviceId, other } = v.input;
const consultKey: ConsultKey = { epoch: v.input.consultKey.epoch, keyId: fromHex(v.input.consultKey.keyId), key: fromHex(v.input.consultKey.key) };
const expected = { epoch: consultKey.epoch, keyId: consultKey.keyId };

const ALG = { name: "ECDH", namedCurve: "P-256" } as const;
async function pair(k: z.infer<typeof key>, extractable = false): Promise<CryptoKeyPair> {
  const privateKey = await subtle().importKey("jwk", k.jwk, ALG, extractable, ["deriveBits"]);
  const publicKey = await subtle().importKey("jwk", { kty: "EC", crv: "P-256", x: k.jwk.x, y: k.jwk.y }, ALG, true, []);
  return { privateKey, publicKey };
}
const keyOf = { device: v.keys.device, backup: v.keys.backup, records: v.keys.records } as const;
const boxKey = async (kind: CopyRecipient["kind"]): Promise<BoxKey> => ({ privateKey: (await pair(keyOf[kind])).privateKey, spki: fromHex(keyOf[kind].spki) });
const fixed = async () => ({ ephemeral: await pair(v.keys.ephemeral), iv: fromHex(v.input.iv) });
const copy = (what: "consult key" | "name key", kind: CopyRecipient["kind"]) => {
  const c = v.copies.find((x) => x.what === what && x.recipient.kind === kind);
  if (!c) throw new Error(`no ${what} copy to ${kind} in the vectors`);
  return { ...c, box: fromHex(c.box) };
};
const device: CopyRecipient = { kind: "device", userId, deviceId };
const backup: CopyRecipient = { kind: "backup", userId };
const records: CopyRecipient = { kind: "records" };
const flip = (b: Uint8Array, at: number) => {
  const out = b.slice();
  out[at] = (out[at] ?? 0) ^ 1;
  return out;
};

describe("key copies: the fixed vectors", () => {
  it("the table's contexts are the vectors' (labels and salts)", () => {
    expect(v.copies.map((c) => [c.what, c.recipient.kind, c.label, c.salt])).toEqual([
      ["consult key", "device", LABEL.deviceKey, userId],
      ["name key", "device", LABEL.deviceKeyName, userId],
      ["consult key", "backup", LABEL.backup, userId],
      ["name key", "backup", LABEL.backupName, userId],
      ["consult key", "records", LABEL.records, consultId],
      ["name key", "records", LABEL.recordsName, consultId],
    ]);
  });

  it.each(v.copies.filter((c) => c.what === "consult key"))("seals the consult key to the $recipient.kind key to exactly the vector's bytes, and opens it back", async (c) => {
    const box = await sealConsultKeyCopy(c.recipient, consultId, consultKey, fromHex(keyOf[c.recipient.kind].spki), await fixed());
    expect(toHex(box)).toBe(c.box);
    const opened = await openConsultKeyCopy(c.recipient, consultId, box, await boxKey(c.recipient.kind), expected);
    expect([opened.epoch, toHex(opened.keyId), toHex(opened.key)]).toEqual([consultKey.epoch, v.input.consultKey.keyId, v.input.consultKey.key]);
  });

  it.each(v.copies.filter((c) => c.what === "name key"))("seals the name key to the $recipient.kind key to exactly the vector's bytes, and opens it back", async (c) => {
    const n = await pair(v.keys.nameKey, true);
    const box = await sealNameKeyCopy(c.recipient, consultId, n.privateKey, fromHex(keyOf[c.recipient.kind].spki), await fixed());
    expect(toHex(box)).toBe(c.box);
    const opened = await openNameKeyCopy(c.recipient, consultId, box, await boxKey(c.recipient.kind));
    expect(toHex(opened.spki)).toBe(v.keys.nameKey.spki);
    expect(toHex(await exportBoxKey(opened.privateKey)), "what was opened can be copied on, byte for byte").toBe(v.input.namePkcs8);
  });

  it("an opened name key opens what was sealed to N (it is N, not just N's bytes)", async () => {
    const opened = await openNameKeyCopy(device, consultId, copy("name key", "device").box, await boxKey("device"));
    const box = await sealBox({ label: LABEL.name, salt: uuidBytes(consultId), aad: [] }, fromHex(v.keys.nameKey.spki), new Uint8Array([1, 2, 3]));
    expect([...(await openBox({ label: LABEL.name, salt: uuidBytes(consultId), aad: [] }, opened, box, 3 + 16))]).toEqual([1, 2, 3]);
  });
});

describe("key copies: what a reader refuses", () => {
  it("a backup copy of another person does not open as this person's", async () => {
    const c = copy("consult key", "backup");
    await expect(openConsultKeyCopy({ kind: "backup", userId: other.userId }, consultId, c.box, await boxKey("backup"), expected)).rejects.toThrow(/decryption failed/);
    const n = copy("name key", "backup");
    await expect(openNameKeyCopy({ kind: "backup", userId: other.userId }, consultId, n.box, await boxKey("backup"))).rejects.toThrow(/decryption failed/);
  });

  it("a device copy does not open for another device, nor another person's device", async () => {
    const c = copy("consult key", "device");
    const k = await boxKey("device");
    await expect(openConsultKeyCopy({ ...device, deviceId: other.deviceId }, consultId, c.box, k, expected)).rejects.toThrow(/decryption failed/);
    await expect(openConsultKeyCopy({ ...device, userId: other.userId }, consultId, c.box, k, expected)).rejects.toThrow(/decryption failed/);
    await expect(openNameKeyCopy({ ...device, deviceId: other.deviceId }, consultId, copy("name key", "device").box, k)).rejects.toThrow(/decryption failed/);
  });

  it("a copy of one consult does not open as another consult's, for any recipient", async () => {
    for (const to of [device, backup, records]) {
      const k = await boxKey(to.kind);
      await expect(openConsultKeyCopy(to, other.consultId, copy("consult key", to.kind).box, k, expected), to.kind).rejects.toThrow(/decryption failed/);
      await expect(openNameKeyCopy(to, other.consultId, copy("name key", to.kind).box, k), to.kind).rejects.toThrow(/decryption failed/);
    }
  });

  it("a copy for one kind of recipient does not open as another kind (labels differ)", async () => {
    // The device's own key, with a box sealed to it under the backup label: only the label differs.
    const k = await boxKey("device");
    const asBackup = await sealConsultKeyCopy(backup, consultId, consultKey, k.spki);
    await expect(openConsultKeyCopy(device, consultId, asBackup, k, expected)).rejects.toThrow(/decryption failed/);
    expect((await openConsultKeyCopy(backup, consultId, asBackup, k, expected)).epoch).toBe(consultKey.epoch);
  });

  it("a consult key copy is not a name key copy, nor the other way round", async () => {
    const k = await boxKey("device");
    await expect(openNameKeyCopy(device, consultId, copy("consult key", "device").box, k)).rejects.toThrow(/fixed field sizes/);
    await expect(openConsultKeyCopy(device, consultId, copy("name key", "device").box, k, expected)).rejects.toThrow(/fixed field sizes/);
  });

  it("a copy whose epoch or key id is not what the server claimed is refused", async () => {
    for (const to of [device, backup]) {
      const k = await boxKey(to.kind);
      const box = copy("consult key", to.kind).box;
      await expect(openConsultKeyCopy(to, consultId, box, k, { epoch: consultKey.epoch + 1 }), to.kind).rejects.toThrow(/not epoch 4/);
      await expect(openConsultKeyCopy(to, consultId, box, k, { keyId: new Uint8Array(16) }), to.kind).rejects.toThrow(/not the one the server named/);
    }
    // A records copy binds both in its AAD: the wrong ones do not even decrypt, and none is no way to open it.
    const k = await boxKey("records");
    const box = copy("consult key", "records").box;
    await expect(openConsultKeyCopy(records, consultId, box, k, { ...expected, epoch: consultKey.epoch + 1 })).rejects.toThrow(/decryption failed/);
    await expect(openConsultKeyCopy(records, consultId, box, k, { ...expected, keyId: new Uint8Array(16) })).rejects.toThrow(/decryption failed/);
    await expect(openConsultKeyCopy(records, consultId, box, k, { epoch: consultKey.epoch })).rejects.toThrow(/only with the epoch and key id/);
  });

  it("a server swapping in the copy of an older epoch is caught", async () => {
    const dev = await generateEcdhKey();
    const old = newConsultKey(1);
    const current = newConsultKey(2);
    const oldBox = await sealConsultKeyCopy(device, consultId, old, dev.spki);
    expect((await openConsultKeyCopy(device, consultId, await sealConsultKeyCopy(device, consultId, current, dev.spki), dev, { epoch: 2, keyId: current.keyId })).epoch).toBe(2);
    await expect(openConsultKeyCopy(device, consultId, oldBox, dev, { epoch: 2, keyId: current.keyId })).rejects.toThrow(/not epoch 2/);
    await expect(openConsultKeyCopy(device, consultId, oldBox, dev, { keyId: current.keyId })).rejects.toThrow(/not the one the server named/);
  });

  it("a flipped bit anywhere is refused", async () => {
    for (const to of [device, backup, records]) {
      const k = await boxKey(to.kind);
      const box = copy("consult key", to.kind).box;
      for (const at of [10, 60, 100, 120, box.length - 1]) await expect(openConsultKeyCopy(to, consultId, flip(box, at), k, expected), `${to.kind} byte ${at}`).rejects.toThrow();
      const nameBox = copy("name key", to.kind).box;
      await expect(openNameKeyCopy(to, consultId, flip(nameBox, nameBox.length - 20), k), `${to.kind} name`).rejects.toThrow(/decryption failed/);
    }
  });

  it("another key cannot open a copy", async () => {
    await expect(openConsultKeyCopy(device, consultId, copy("consult key", "device").box, await generateEcdhKey(), expected)).rejects.toThrow(/decryption failed/);
  });

  it("a malformed consult key is not sealed", async () => {
    const k = await generateEcdhKey();
    await expect(sealConsultKeyCopy(device, consultId, { ...consultKey, keyId: new Uint8Array(15) }, k.spki)).rejects.toThrow(/malformed/);
    await expect(sealConsultKeyCopy(device, consultId, { ...consultKey, key: new Uint8Array(31) }, k.spki)).rejects.toThrow(/malformed/);
    await expect(sealConsultKeyCopy(device, consultId, { ...consultKey, epoch: -1 }, k.spki)).rejects.toThrow(/malformed/);
  });

  it("random copies of the same key differ, and each opens", async () => {
    const k = await generateEcdhKey();
    const a = await sealConsultKeyCopy(records, consultId, consultKey, k.spki);
    const b = await sealConsultKeyCopy(records, consultId, consultKey, k.spki);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(toHex((await openConsultKeyCopy(records, consultId, b, k, expected)).key)).toBe(v.input.consultKey.key);
    expect(CONSULT_KEY_COPY_BYTES).toBe(52);
  });
});

describe("box keys as PKCS#8", () => {
  it("a generated key's PKCS#8 is exactly what WebCrypto exports, 138 bytes", async () => {
    const k = await generateEcdhKey();
    const ours = await exportBoxKey(k.privateKey);
    expect(ours).toHaveLength(PKCS8_BYTES);
    expect(toHex(ours)).toBe(toHex(new Uint8Array(await subtle().exportKey("pkcs8", k.privateKey))));
    expect(toHex((await importBoxKey(ours)).spki)).toBe(toHex(k.spki));
  });

  it("a key rebuilt from its scalar exports the same 138 bytes (WebCrypto's own export would drop the point)", async () => {
    const k = await boxKeyFromScalar(fromHex(v.keys.nameKey.d));
    expect(toHex(k.spki)).toBe(v.keys.nameKey.spki);
    expect(toHex(await exportBoxKey(k.privateKey))).toBe(v.input.namePkcs8);
  });

  it("a PKCS#8 whose public point is not its own is refused, even sealed correctly", async () => {
    const forged = fromHex(v.input.namePkcs8);
    forged.set(fromHex(v.keys.device.spki).subarray(26), PKCS8_BYTES - 65);
    await expect(importBoxKey(forged)).rejects.toThrow(/not its own/);
    const k = await boxKey("device");
    const box = await sealBox({ label: LABEL.deviceKeyName, salt: uuidBytes(userId), aad: [uuidBytes(userId), uuidBytes(consultId), uuidBytes(deviceId)] }, k.spki, forged);
    await expect(openNameKeyCopy(device, consultId, box, k)).rejects.toThrow(/not its own/);
  });

  it("other layouts, and scalars out of range, are refused", async () => {
    const p = fromHex(v.input.namePkcs8);
    await expect(importBoxKey(p.subarray(0, 137))).rejects.toThrow(/138-byte PKCS#8/);
    await expect(importBoxKey(flip(p, 5))).rejects.toThrow(/138-byte PKCS#8/);
    await expect(importBoxKey(flip(p, 70))).rejects.toThrow(/138-byte PKCS#8/);
    await expect(boxKeyFromScalar(new Uint8Array(32))).rejects.toThrow(/not a valid/);
    await expect(boxKeyFromScalar(new Uint8Array(32).fill(0xff))).rejects.toThrow(/not a valid/);
    await expect(boxKeyFromScalar(new Uint8Array(31).fill(1))).rejects.toThrow(/32 bytes/);
  });

  it("a non-extractable key cannot be copied", async () => {
    const n = await pair(v.keys.nameKey, false);
    await expect(sealNameKeyCopy(device, consultId, n.privateKey, fromHex(v.keys.device.spki))).rejects.toThrow(/non-extractable/);
  });
});
