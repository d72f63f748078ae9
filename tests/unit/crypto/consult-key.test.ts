// The consult key (PROTOCOL §3): the `key` message (wrapConsultKey / unwrapConsultKey and its AAD)
// and the KeyRing's rules: never overwrite a key id, never two keys for one epoch, seal under the
// highest epoch held so that a replayed older `key` message cannot roll a device back.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

import { importAeadKey, KeyRing, keyAad, newConsultKey, ProtocolError, randomBytes, seal, toHex, unwrapConsultKey, wrapConsultKey, type AeadKey, type ConsultKey, type KeyContext } from "@/lib/crypto";

const ck = (epoch: number, keyId = randomBytes(16), key = randomBytes(32)): ConsultKey => ({ epoch, keyId, key });
const hexOf = (k: ConsultKey | undefined) => (k ? { epoch: k.epoch, keyId: toHex(k.keyId), key: toHex(k.key) } : undefined);
const ctx = (): KeyContext => ({ th: randomBytes(32), consultId: randomBytes(16), senderDeviceId: randomBytes(16), recipientDeviceId: randomBytes(16) });

describe("KeyRing", () => {
  it("adds a key, and the identical key again is a no-op", () => {
    const ring = new KeyRing();
    const k = ck(0);
    expect(ring.accept(k)).toBe("added");
    expect(ring.accept({ ...k, keyId: new Uint8Array(k.keyId), key: new Uint8Array(k.key) })).toBe("known");
    expect(ring.size).toBe(1);
    expect(hexOf(ring.current())).toEqual(hexOf(k));
  });

  it("a replayed older epoch's key does not change current() (no rollback)", () => {
    const ring = new KeyRing();
    const [k1, k2, k3] = [ck(1), ck(2), ck(3)];
    ring.accept(k1);
    ring.accept(k3);
    expect(hexOf(ring.current())).toEqual(hexOf(k3));
    expect(ring.accept(k1)).toBe("known"); // the old `key` message replayed
    expect(hexOf(ring.current())).toEqual(hexOf(k3));
    expect(ring.accept(k2)).toBe("added"); // an older epoch we never had: kept for reading only
    expect(hexOf(ring.current())).toEqual(hexOf(k3));
    expect(hexOf(ring.get(k2.keyId))).toEqual(hexOf(k2));
  });

  it("refuses to overwrite a key id (other key bytes, or another epoch)", () => {
    const ring = new KeyRing();
    const k = ck(4);
    ring.accept(k);
    expect(() => ring.accept(ck(4, k.keyId))).toThrow(ProtocolError);
    expect(() => ring.accept(ck(5, k.keyId, k.key))).toThrow(ProtocolError);
    expect(() => ring.accept(ck(3, k.keyId))).toThrow(ProtocolError);
    expect(ring.size).toBe(1);
    expect(hexOf(ring.get(k.keyId))).toEqual(hexOf(k));
    expect(hexOf(ring.current())).toEqual(hexOf(k));
  });

  it("refuses a second key for one epoch", () => {
    const ring = new KeyRing();
    const k = ck(7);
    ring.accept(k);
    const other = ck(7);
    expect(() => ring.accept(other)).toThrow(/already has another key/);
    expect(() => ring.accept(ck(7, randomBytes(16), k.key))).toThrow(ProtocolError); // even with the same key bytes
    expect(ring.get(other.keyId)).toBeUndefined();
    expect(ring.size).toBe(1);
    expect(hexOf(ring.current())).toEqual(hexOf(k));
  });

  it("current() is the highest epoch held, whatever the order of arrival", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 12 }), (epochs) => {
        const ring = new KeyRing();
        const keys = epochs.map((e) => ck(e));
        for (const k of keys) expect(ring.accept(k)).toBe("added");
        // Replays of all of them, in reverse, change nothing.
        for (const k of [...keys].reverse()) expect(ring.accept(k)).toBe("known");
        const top = keys.reduce((a, b) => (b.epoch > a.epoch ? b : a));
        expect(hexOf(ring.current())).toEqual(hexOf(top));
        expect(ring.size).toBe(keys.length);
      }),
    );
  });

  it("get() finds each key by its id, and nothing for an unknown id", () => {
    const ring = new KeyRing();
    expect(ring.current()).toBeUndefined();
    const keys = [ck(0), ck(1), ck(2)];
    for (const k of keys) ring.accept(k);
    for (const k of keys) expect(hexOf(ring.get(k.keyId))).toEqual(hexOf(k));
    expect(ring.get(randomBytes(16))).toBeUndefined();
    expect(ring.get(new Uint8Array(0))).toBeUndefined();
  });

  it("keeps its own copy: changing the accepted object later changes nothing", () => {
    const ring = new KeyRing();
    const k = ck(1);
    const before = hexOf(k);
    ring.accept(k);
    k.key.fill(0);
    k.keyId.fill(0);
    k.epoch = 99;
    expect(hexOf(ring.current())).toEqual(before);
  });
});

describe("newConsultKey", () => {
  it("makes a random 32-byte key and 16-byte key id per epoch", () => {
    const a = newConsultKey(0);
    const b = newConsultKey(0xffffffff);
    expect(a.key).toHaveLength(32);
    expect(a.keyId).toHaveLength(16);
    expect(toHex(a.key)).not.toBe(toHex(b.key));
    expect(toHex(a.keyId)).not.toBe(toHex(b.keyId));
    expect(b.epoch).toBe(0xffffffff);
  });

  it("refuses an epoch that is not a u32", () => {
    for (const e of [-1, 1.5, 2 ** 32, Number.NaN, Infinity]) expect(() => newConsultKey(e), String(e)).toThrow(ProtocolError);
  });
});

describe("the key message", () => {
  let pairwise: AeadKey;
  beforeAll(async () => {
    pairwise = await importAeadKey(randomBytes(32));
  });

  it("round-trips any key, key id, epoch and context", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 0xffffffff }), async (key, keyId, epoch) => {
        const c = ctx();
        const k = { key: new Uint8Array(key), keyId: new Uint8Array(keyId), epoch };
        const w = await wrapConsultKey(pairwise, k, c);
        expect(w.iv).toHaveLength(12);
        expect(w.ciphertext).toHaveLength(52 + 16);
        expect(hexOf(await unwrapConsultKey(pairwise, w.iv, w.ciphertext, c))).toEqual(hexOf(k));
      }),
      { numRuns: 100 },
    );
  });

  it("uses a fresh random IV each time", async () => {
    const k = newConsultKey(1);
    const c = ctx();
    const [a, b] = await Promise.all([wrapConsultKey(pairwise, k, c), wrapConsultKey(pairwise, k, c)]);
    expect(toHex(a.iv)).not.toBe(toHex(b.iv));
    expect(toHex(a.ciphertext)).not.toBe(toHex(b.ciphertext));
  });

  it("is bound to its context: another pairwise key, TH, consult, or swapped devices are refused", async () => {
    const k = newConsultKey(2);
    const c = ctx();
    const w = await wrapConsultKey(pairwise, k, c);
    const refused = (p: AeadKey, x: KeyContext) => expect(unwrapConsultKey(p, w.iv, w.ciphertext, x)).rejects.toThrow(ProtocolError);
    await Promise.all([
      refused(await importAeadKey(randomBytes(32)), c),
      refused(pairwise, { ...c, th: randomBytes(32) }),
      refused(pairwise, { ...c, consultId: randomBytes(16) }),
      refused(pairwise, { ...c, senderDeviceId: c.recipientDeviceId, recipientDeviceId: c.senderDeviceId }), // reflected back
      refused(pairwise, { ...c, recipientDeviceId: randomBytes(16) }),
    ]);
  });

  it("refuses a malformed key message: short IV, truncated or extended ciphertext, a plaintext of another length", async () => {
    const k = newConsultKey(3);
    const c = ctx();
    const w = await wrapConsultKey(pairwise, k, c);
    const ext = new Uint8Array(w.ciphertext.length + 1);
    ext.set(w.ciphertext);
    await Promise.all([
      expect(unwrapConsultKey(pairwise, w.iv.subarray(0, 11), w.ciphertext, c)).rejects.toThrow(ProtocolError),
      expect(unwrapConsultKey(pairwise, new Uint8Array(16), w.ciphertext, c)).rejects.toThrow(ProtocolError),
      expect(unwrapConsultKey(pairwise, w.iv, w.ciphertext.subarray(0, w.ciphertext.length - 1), c)).rejects.toThrow(ProtocolError),
      expect(unwrapConsultKey(pairwise, w.iv, w.ciphertext.subarray(0, 15), c)).rejects.toThrow(ProtocolError),
      expect(unwrapConsultKey(pairwise, w.iv, ext, c)).rejects.toThrow(ProtocolError),
      expect(unwrapConsultKey(pairwise, w.iv, new Uint8Array(0), c)).rejects.toThrow(ProtocolError),
    ]);
    for (const n of [0, 48, 51, 53, 84]) {
      const odd = await seal(pairwise, randomBytes(n), keyAad(c));
      await expect(unwrapConsultKey(pairwise, odd.iv, odd.ciphertext, c), `${n}-byte plaintext`).rejects.toThrow(/malformed key message/);
    }
  });

  it("refuses a malformed consult key or context before encrypting", async () => {
    const c = ctx();
    await expect(wrapConsultKey(pairwise, ck(1, randomBytes(15)), c)).rejects.toThrow(ProtocolError);
    await expect(wrapConsultKey(pairwise, ck(1, randomBytes(16), randomBytes(31)), c)).rejects.toThrow(ProtocolError);
    await expect(wrapConsultKey(pairwise, ck(1), c, randomBytes(16))).rejects.toThrow(ProtocolError);
    for (const [field, n] of [
      ["th", 32],
      ["consultId", 16],
      ["senderDeviceId", 16],
      ["recipientDeviceId", 16],
    ] as const) {
      for (const len of [0, n - 1, n + 1]) {
        expect(() => keyAad({ ...c, [field]: new Uint8Array(len) }), `${field} of ${len} bytes`).toThrow(ProtocolError);
        await expect(wrapConsultKey(pairwise, ck(1), { ...c, [field]: new Uint8Array(len) })).rejects.toThrow(ProtocolError);
      }
    }
  });

  it("a replayed key message of an older epoch is accepted as known and rolls nothing back", async () => {
    const c = ctx();
    const ring = new KeyRing();
    const old = newConsultKey(1);
    const cur = newConsultKey(2);
    const oldMsg = await wrapConsultKey(pairwise, old, c);
    const curMsg = await wrapConsultKey(pairwise, cur, c);
    for (const m of [oldMsg, curMsg, oldMsg, oldMsg]) ring.accept(await unwrapConsultKey(pairwise, m.iv, m.ciphertext, c));
    expect(hexOf(ring.current())).toEqual(hexOf(cur));
  });
});
