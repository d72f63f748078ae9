// PROTOCOL §7.5: a consult's pins sealed to the backup key (lib/crypto/history-pins.ts). The fixed
// vector (scripts/gen-backup-vectors.ts, opened there with node:crypto) recomputed byte for byte;
// then what a reader refuses: another person's or consult's pins, an altered box, bad padding.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeHistoryPins, encodeHistoryPins, fromHex, HISTORY_PINS_BOX_BYTES, HISTORY_PINS_BYTES, openHistoryPins, sealHistoryPins, subtle, toHex } from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() });
const key = z.object({ jwk, spki: hex }).loose();
const Vectors = z.object({
  keys: z.object({ backup: key, ephemeral: key }).loose(),
  input: z.object({ userId: z.uuid(), consultId: z.uuid(), iv: hex, other: z.object({ userId: z.uuid(), consultId: z.uuid() }).loose() }).loose(),
  pins: z.object({ pins: z.array(z.object({ spki: hex, verified: z.boolean(), own: z.boolean() })).length(3), box: hex }).loose(),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-devices-backup.json", import.meta.url)), "utf8")));
const { userId, consultId, other } = v.input;
const ALG = { name: "ECDH", namedCurve: "P-256" } as const;
const privateOf = (k: z.infer<typeof key>) => subtle().importKey("jwk", k.jwk, ALG, false, ["deriveBits"]);
const publicOf = (k: z.infer<typeof key>) => subtle().importKey("jwk", { kty: "EC", crv: "P-256", x: k.jwk.x, y: k.jwk.y }, ALG, true, []);
const backupKey = async () => ({ privateKey: await privateOf(v.keys.backup), spki: fromHex(v.keys.backup.spki) });
const pins = v.pins.pins.map((p) => ({ ...p, spki: fromHex(p.spki) }));

describe("history pins: the fixed vector", () => {
  it("seals the consult's pins to exactly the vector's bytes, and opens them back", async () => {
    const ephemeral = { privateKey: await privateOf(v.keys.ephemeral), publicKey: await publicOf(v.keys.ephemeral) };
    const box = await sealHistoryPins(userId, consultId, pins, fromHex(v.keys.backup.spki), { ephemeral, iv: fromHex(v.input.iv) });
    expect(toHex(box)).toBe(v.pins.box);
    expect(box).toHaveLength(HISTORY_PINS_BOX_BYTES);
    const opened = await openHistoryPins(userId, consultId, box, await backupKey());
    expect(opened.map((p) => ({ ...p, spki: toHex(p.spki) }))).toEqual(v.pins.pins);
  });
});

describe("history pins: what a reader refuses", () => {
  it("another person's or another consult's pins do not open", async () => {
    const box = fromHex(v.pins.box);
    await expect(openHistoryPins(other.userId, consultId, box, await backupKey())).rejects.toThrow(/decryption failed/);
    await expect(openHistoryPins(userId, other.consultId, box, await backupKey())).rejects.toThrow(/decryption failed/);
  });

  it("a flipped bit is refused", async () => {
    const box = fromHex(v.pins.box);
    box[200] = (box[200] ?? 0) ^ 1;
    await expect(openHistoryPins(userId, consultId, box, await backupKey())).rejects.toThrow();
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
