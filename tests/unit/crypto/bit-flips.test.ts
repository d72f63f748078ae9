// Every single-bit flip is refused (PROTOCOL §6): of a signed hello (hello bytes and signature), of
// a `key` message (IV and ciphertext), of each field of the key message's AAD, and of the pairwise
// key. The fixed vectors of tests/vectors/parley-v1.json are the unflipped inputs. The WebCrypto
// calls run concurrently in batches to keep this fast.
import { beforeAll, describe, expect, it } from "vitest";

import { importAeadKey, ProtocolError, unwrapConsultKey, verifyHello, type AeadKey, type Bytes, type KeyContext } from "@/lib/crypto";

import { h, loadParleyVectors } from "./parley-vectors";

const V = loadParleyVectors();
const BATCH = 512;

type Result = { bits: number; notRefused: string[] };

/**
 * Calls `attempt` with every single-bit flip of `data` and collects the flips it did not refuse
 * with a ProtocolError (accepted, or failed with another error).
 */
async function everyBitFlip(data: Uint8Array, attempt: (flipped: Bytes) => Promise<unknown>): Promise<Result> {
  const bits = data.length * 8;
  const notRefused: string[] = [];
  for (let start = 0; start < bits; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, bits - start) }, (_, i) => start + i);
    const outcomes = await Promise.all(
      batch.map(async (bit) => {
        const flipped = new Uint8Array(data);
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
        try {
          await attempt(flipped);
          return `bit ${bit}: accepted`;
        } catch (err) {
          return err instanceof ProtocolError ? undefined : `bit ${bit}: ${String(err)}`;
        }
      }),
    );
    for (const o of outcomes) if (o !== undefined) notRefused.push(o);
  }
  return { bits, notRefused };
}

describe("the flip harness", () => {
  it("reports flips that were accepted or failed with another error", async () => {
    const data = Uint8Array.of(0xa5, 0x5a);
    const r = await everyBitFlip(data, (f) => (f[0] === 0xa5 ? Promise.resolve() : Promise.reject(f[0] === 0x25 ? new Error("other") : new ProtocolError("x"))));
    expect(r.bits).toBe(16);
    // The 8 flips of byte 1 are accepted; flipping bit 0 (0x80) of byte 0 fails with a plain Error.
    expect(r.notRefused).toHaveLength(9);
    expect(r.notRefused).toContain("bit 0: Error: other");
  });
});

describe.each(V.hellos.map((v) => [v.name, v] as const))("every single-bit flip of signed %s is refused by verifyHello", (_name, vector) => {
  const hello = h(vector.expected.hello);
  const signature = h(vector.expected.signature);

  it("the unflipped hello verifies", async () => {
    await expect(verifyHello(hello, signature)).resolves.toBeDefined();
  });

  it(`each of the ${hello.length * 8} bits of the hello`, async () => {
    const r = await everyBitFlip(hello, (f) => verifyHello(f, signature));
    expect(r.bits).toBe(hello.length * 8);
    expect(r.notRefused).toEqual([]);
  });

  it(`each of the ${signature.length * 8} bits of the signature`, async () => {
    const r = await everyBitFlip(signature, (f) => verifyHello(hello, f));
    expect(r.bits).toBe(512);
    expect(r.notRefused).toEqual([]);
  });

  it("a truncated, extended or empty signature", async () => {
    const longer = new Uint8Array(65);
    longer.set(signature);
    for (const s of [signature.subarray(0, 63), longer, new Uint8Array(0), new Uint8Array(64)]) await expect(verifyHello(hello, s)).rejects.toThrow(ProtocolError);
  });
});

describe("every single-bit flip of a key message is refused by unwrapConsultKey", () => {
  const { inputs, expected } = V.consultKey;
  const iv = h(inputs.iv);
  const ciphertext = h(expected.ciphertext);
  const context: KeyContext = { th: h(inputs.th), consultId: h(inputs.consultId), senderDeviceId: h(inputs.senderDeviceId), recipientDeviceId: h(inputs.recipientDeviceId) };
  let pairwise: AeadKey;

  beforeAll(async () => {
    pairwise = await importAeadKey(h(inputs.pairwise));
  });

  it("the unflipped message opens", async () => {
    const k = await unwrapConsultKey(pairwise, iv, ciphertext, context);
    expect(k.epoch).toBe(inputs.epoch);
  });

  it(`each of the ${iv.length * 8} bits of the IV`, async () => {
    const r = await everyBitFlip(iv, (f) => unwrapConsultKey(pairwise, f, ciphertext, context));
    expect(r.bits).toBe(96);
    expect(r.notRefused).toEqual([]);
  });

  it(`each of the ${ciphertext.length * 8} bits of the ciphertext (and tag)`, async () => {
    const r = await everyBitFlip(ciphertext, (f) => unwrapConsultKey(pairwise, iv, f, context));
    expect(r.bits).toBe((52 + 16) * 8);
    expect(r.notRefused).toEqual([]);
  });

  it.each([
    ["th", 256],
    ["consultId", 128],
    ["senderDeviceId", 128],
    ["recipientDeviceId", 128],
  ] as const)("each bit of the AAD field %s (%i bits)", async (field, n) => {
    const r = await everyBitFlip(context[field], (f) => unwrapConsultKey(pairwise, iv, ciphertext, { ...context, [field]: f }));
    expect(r.bits).toBe(n);
    expect(r.notRefused).toEqual([]);
  });

  it("each of the 256 bits of the pairwise key", async () => {
    const r = await everyBitFlip(h(inputs.pairwise), async (f) => unwrapConsultKey(await importAeadKey(f), iv, ciphertext, context));
    expect(r.bits).toBe(256);
    expect(r.notRefused).toEqual([]);
  });
});
