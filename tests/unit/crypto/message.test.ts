// Sealed chat messages (lib/crypto/message.ts, PROTOCOL §4): round trips, padding buckets, every
// single-bit flip of ciphertext, IV, header (AAD) fields and signature refused, signed fields bound
// to the stored header, and the receiver's chain: duplicates, gaps, reordering, replaced history.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ProtocolError,
  SenderChain,
  chainHash,
  decodeMessage,
  enc,
  encodeMessage,
  generateSigningKey,
  importAeadKey,
  label,
  LABEL,
  messageAad,
  open,
  openMessage,
  pad,
  paddedSize,
  randomBytes,
  seal,
  sealMessage,
  signRaw,
  unpad,
  utf8,
  ZERO_HASH,
  type AeadKey,
  type ChatMessage,
  type MessageHeader,
  type SigningKeyPair,
} from "@/lib/crypto";

let key: AeadKey;
let sender: SigningKeyPair;
let other: SigningKeyPair;
const consultId = randomBytes(16);
const keyId = randomBytes(16);
const senderDeviceId = randomBytes(16);

beforeAll(async () => {
  key = await importAeadKey(randomBytes(32));
  sender = await generateSigningKey();
  other = await generateSigningKey();
});

function message(seq: bigint, prevHash = ZERO_HASH(), body = "marker-7f3a hello doctor"): ChatMessage {
  return { kind: "text", consultId, keyId, senderDeviceId, messageId: randomBytes(16), seq, prevHash, sentAt: 1_763_000_000_000n, body: utf8(body) };
}
const headerOf = (m: ChatMessage): MessageHeader => ({ consultId: m.consultId, keyId: m.keyId, senderDeviceId: m.senderDeviceId, messageId: m.messageId, seq: m.seq });

async function refused(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (err) {
    return err instanceof ProtocolError;
  }
}

function flip(b: Uint8Array, bit: number): Uint8Array {
  const c = new Uint8Array(b);
  c[bit >> 3] = (c[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return c;
}

async function allRefused(cases: (() => Promise<unknown>)[]): Promise<number> {
  let ok = 0;
  for (let i = 0; i < cases.length; i += 256) {
    const batch = await Promise.all(cases.slice(i, i + 256).map((c) => refused(c())));
    ok += batch.filter(Boolean).length;
  }
  return ok;
}

describe("sealing and opening", () => {
  it("round-trips a message and its P, whose hash chains the next message", async () => {
    const m = message(0n);
    const sealed = await sealMessage(key, sender.privateKey, m);
    const { message: got, p } = await openMessage(key, sealed.iv, sealed.ciphertext, headerOf(m), sender.spki);
    expect(got).toEqual(m);
    expect(p).toEqual(encodeMessage(m));
    expect(decodeMessage(p)).toEqual(m);
    expect(await chainHash(p)).toHaveLength(32);
  });

  it("pads to 256 B, 1, 4, 16 KiB, then multiples of 16 KiB, and unpads exactly", () => {
    expect([0, 255, 256, 1023, 1024, 4095, 4096, 16383, 16384, 40_000].map(paddedSize)).toEqual([256, 256, 1024, 1024, 4096, 4096, 16384, 16384, 32768, 49152]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (b) => {
        const padded = pad(b);
        expect(padded.length).toBe(paddedSize(b.length));
        expect(unpad(padded)).toEqual(b);
      }),
      { numRuns: 200 },
    );
    expect(() => unpad(new Uint8Array(256))).toThrow(ProtocolError); // no marker
    const long = pad(new Uint8Array(10));
    expect(() => unpad(long.slice(0, 255))).toThrow(ProtocolError); // not its bucket
    expect(() => unpad(new Uint8Array([...pad(new Uint8Array(10)), ...new Uint8Array(768)]))).toThrow(ProtocolError); // over-padded
  });

  it("a message's length shows only its bucket", async () => {
    const sized = async (body: string) => (await sealMessage(key, sender.privateKey, message(0n, ZERO_HASH(), body))).ciphertext.length;
    expect(await sized("ok")).toBe(await sized("yes, fine")); // both in the 256-byte bucket (+16 tag)
    expect(await sized("ok")).toBe(256 + 16);
    expect(await sized("x".repeat(300))).toBe(1024 + 16);
    expect(await sized("x".repeat(700))).toBe(1024 + 16);
  });

  it("refuses every single-bit flip of the ciphertext and the IV", async () => {
    const m = message(3n);
    const s = await sealMessage(key, sender.privateKey, m);
    const h = headerOf(m);
    const ct = Array.from({ length: s.ciphertext.length * 8 }, (_, bit) => () => openMessage(key, s.iv, flip(s.ciphertext, bit), h, sender.spki));
    const iv = Array.from({ length: 96 }, (_, bit) => () => openMessage(key, flip(s.iv, bit), s.ciphertext, h, sender.spki));
    expect(await allRefused(ct)).toBe(ct.length);
    expect(await allRefused(iv)).toBe(96);
  });

  it("refuses every single-bit flip of each stored header field (the AAD) and any other seq", async () => {
    const m = message(5n);
    const s = await sealMessage(key, sender.privateKey, m);
    const h = headerOf(m);
    const cases: (() => Promise<unknown>)[] = [];
    for (const field of ["consultId", "keyId", "senderDeviceId", "messageId"] as const) {
      for (let bit = 0; bit < 128; bit++) cases.push(() => openMessage(key, s.iv, s.ciphertext, { ...h, [field]: flip(h[field], bit) }, sender.spki));
    }
    for (const seq of [0n, 4n, 6n, 5n + (1n << 32n)]) cases.push(() => openMessage(key, s.iv, s.ciphertext, { ...h, seq }, sender.spki));
    expect(await allRefused(cases)).toBe(cases.length);
  });

  it("refuses every single-bit flip of the signature, and a signature by anyone else", async () => {
    const m = message(1n);
    const p = encodeMessage(m);
    const sig = await signRaw(sender.privateKey, enc(label(LABEL.msgSig), p));
    const sealWith = async (signature: Uint8Array) => seal(key, pad(enc(p, signature)), messageAad(headerOf(m)));
    const cases = Array.from({ length: 512 }, (_, bit) => async () => {
      const s = await sealWith(flip(sig, bit));
      return openMessage(key, s.iv, s.ciphertext, headerOf(m), sender.spki);
    });
    expect(await allRefused(cases)).toBe(512);
    const good = await sealWith(sig);
    await expect(openMessage(key, good.iv, good.ciphertext, headerOf(m), sender.spki)).resolves.toBeDefined();
    expect(await refused(openMessage(key, good.iv, good.ciphertext, headerOf(m), other.spki))).toBe(true);
  });

  it("refuses signed fields that differ from the header the AAD binds (a server moving a message)", async () => {
    const m = message(2n);
    const p = encodeMessage(m);
    const sig = await signRaw(sender.privateKey, enc(label(LABEL.msgSig), p));
    const moved = { ...headerOf(m), messageId: randomBytes(16) };
    // Sealed by someone holding K under another header: AEAD and signature pass, the binding does not.
    const s = await seal(key, pad(enc(p, sig)), messageAad(moved));
    await expect(openMessage(key, s.iv, s.ciphertext, moved, sender.spki)).rejects.toThrow(/signed fields differ/);
  });

  it("a message sealed under another key does not open", async () => {
    const m = message(0n);
    const s = await sealMessage(key, sender.privateKey, m);
    const wrong = await importAeadKey(randomBytes(32));
    expect(await refused(openMessage(wrong, s.iv, s.ciphertext, headerOf(m), sender.spki))).toBe(true);
    expect(await refused(open(key, s.iv, s.ciphertext.slice(0, -1), messageAad(headerOf(m))))).toBe(true);
  });
});

describe("the receiver's chain", () => {
  async function chainOf(n: number) {
    const out: { m: ChatMessage; p: Uint8Array }[] = [];
    let prev = ZERO_HASH();
    for (let i = 0; i < n; i++) {
      const m = message(BigInt(i), prev, `msg ${i}`);
      const p = encodeMessage(m);
      out.push({ m, p });
      prev = await chainHash(p);
    }
    return out;
  }

  it("takes messages in order with no event, and drops a duplicate (same id)", async () => {
    const chain = new SenderChain();
    const msgs = await chainOf(3);
    for (const { m, p } of msgs) expect(await chain.add(m, p)).toEqual([]);
    const first = msgs[0];
    if (!first) throw new Error("no message");
    expect(await chain.add(first.m, first.p)).toEqual([{ type: "duplicate", seq: 0n }]);
    expect((await chain.head())?.seq).toBe(2n);
  });

  it("shows a missing seq as a gap until it arrives (reordering is not loss)", async () => {
    const chain = new SenderChain();
    const [a, b, c] = await chainOf(3);
    if (!a || !b || !c) throw new Error("no messages");
    await chain.add(a.m, a.p);
    expect(await chain.add(c.m, c.p)).toEqual([{ type: "gap", from: 1n, to: 1n }]);
    expect(await chain.add(b.m, b.p)).toEqual([]);
  });

  it("notices replaced history: a message whose prevHash is not its predecessor's hash", async () => {
    const chain = new SenderChain();
    const [a, b, c] = await chainOf(3);
    if (!a || !b || !c) throw new Error("no messages");
    const forgedB = message(1n, await chainHash(a.p), "something else");
    await chain.add(a.m, a.p);
    await chain.add(forgedB, encodeMessage(forgedB));
    expect(await chain.add(c.m, c.p)).toEqual([{ type: "broken-chain", seq: 2n }]);
  });

  it("refuses two different messages for one seq, and a first message that does not start the chain", async () => {
    const chain = new SenderChain();
    const [a] = await chainOf(1);
    if (!a) throw new Error("no message");
    await chain.add(a.m, a.p);
    const twin = message(0n);
    expect(await chain.add(twin, encodeMessage(twin))).toEqual([{ type: "broken-chain", seq: 0n }]);
    const fresh = new SenderChain();
    const badStart = message(0n, randomBytes(32));
    expect(await fresh.add(badStart, encodeMessage(badStart))).toEqual([{ type: "broken-chain", seq: 0n }]);
  });
});
