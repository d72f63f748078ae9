// Parley's fixed test vectors (tests/vectors/parley-v1.json, written once by
// scripts/gen-crypto-vectors.ts): every derivation and encoding of protocol v1 recomputed through
// lib/crypto's entry points. A failure here is a wire-protocol change, never a reason to
// regenerate the file.
import { createECDH, createHash, hkdfSync } from "node:crypto";

import { beforeAll, describe, expect, it } from "vitest";

import {
  bytesToUuid,
  callCode,
  commitment,
  dec,
  decodeHello,
  enc,
  encodeHello,
  fingerprint,
  formatDtlsFingerprint,
  fromBase64Url,
  hkdf,
  importAeadKey,
  importVerifyKey,
  keyAad,
  label,
  LABEL,
  pairwiseKey,
  pairwiseKeyBytes,
  parseDtlsFingerprint,
  readU32,
  readU64,
  safetyNumber,
  seal,
  signHello,
  toBase64Url,
  toHex,
  transcriptHash,
  u32,
  u64,
  unwrapConsultKey,
  utf8,
  uuidBytes,
  verifyHello,
  verifyLabeled,
  verifyRaw,
  VERSION,
  wrapConsultKey,
  type KeyContext,
} from "@/lib/crypto";

import { h, importEcdhJwk, importSigningJwk, loadParleyVectors, type VectorFile } from "./parley-vectors";

const V: VectorFile = loadParleyVectors();

describe("the vector file", () => {
  it("says where it came from and that it must not be regenerated casually", () => {
    expect(V.source).toMatch(/scripts\/gen-crypto-vectors\.ts on \d{4}-\d{2}-\d{2}/);
    expect(V.source).toMatch(/not regenerate casually/i);
    expect(V.protocol).toBe(VERSION);
  });

  it("holds fixed keys whose JWK, d and public point agree", async () => {
    for (const k of [V.keys.identityA, V.keys.identityB, V.keys.ephemeralA, V.keys.ephemeralB]) {
      expect(toHex(fromBase64Url(k.jwk.d))).toBe(k.d);
      expect("04" + toHex(fromBase64Url(k.jwk.x)) + toHex(fromBase64Url(k.jwk.y))).toBe(k.point);
    }
    for (const k of [V.keys.identityA, V.keys.identityB]) {
      expect(k.spki.endsWith(k.point)).toBe(true);
      // d belongs to x, y: a fresh signature by the JWK private key verifies under the SPKI.
      const msg = utf8("fixed key self-check");
      const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, await importSigningJwk(k.jwk), msg));
      expect(await verifyRaw(await importVerifyKey(h(k.spki)), msg, sig)).toBe(true);
    }
  });
  it("is consistent: the hellos carry the fixed keys, and later vectors reuse earlier outputs", () => {
    const [a, b] = V.hellos;
    expect(a?.inputs.identity).toBe(V.keys.identityA.spki);
    expect(b?.inputs.identity).toBe(V.keys.identityB.spki);
    expect(a?.inputs.ephemeral).toBe(V.keys.ephemeralA.point);
    expect(b?.inputs.ephemeral).toBe(V.keys.ephemeralB.point);
    expect(a?.inputs.dtls).toBe(V.dtlsFingerprint.inputs.bytes);
    expect([V.transcriptHash.inputs.helloA, V.transcriptHash.inputs.helloB]).toEqual([a?.expected.hello, b?.expected.hello]);
    expect([V.safetyNumber.inputs.spkiA, V.safetyNumber.inputs.spkiB]).toEqual([V.keys.identityA.spki, V.keys.identityB.spki]);
    expect(V.keyAad.inputs).toEqual({ th: V.transcriptHash.expected.th, consultId: a?.inputs.consultId, senderDeviceId: a?.inputs.deviceId, recipientDeviceId: b?.inputs.deviceId });
  });
});

describe("labels and byte encodings", () => {
  it("labels are their UTF-8 text; none of the fixed ones has changed", () => {
    const known = new Map<string, string>([["VERSION", VERSION], ...Object.entries(LABEL)]);
    for (const e of V.labels.entries) {
      expect(known.get(e.name), `label ${e.name}`).toBe(e.text);
      expect(toHex(utf8(e.text))).toBe(e.hex);
    }
    // Labels added after the file was written are allowed, but each is versioned and unique.
    const texts = Object.values(LABEL);
    for (const t of texts) expect(t).toMatch(/^parley\/v1\/[a-z-]+$/);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it("u32 and u64 are big-endian", () => {
    for (const { n, hex } of V.bytes.u32) {
      expect(toHex(u32(n))).toBe(hex);
      expect(readU32(h(hex))).toBe(n);
    }
    for (const { n, hex } of V.bytes.u64) {
      expect(toHex(u64(BigInt(n)))).toBe(hex);
      expect(readU64(h(hex))).toBe(BigInt(n));
    }
  });

  it("UUIDs are their 16 raw bytes", () => {
    for (const { uuid, hex } of V.bytes.uuid) {
      expect(toHex(uuidBytes(uuid))).toBe(hex);
      expect(bytesToUuid(h(hex))).toBe(uuid);
    }
  });

  it("base64url has no padding", () => {
    for (const { hex, text } of V.bytes.base64url) {
      expect(toBase64Url(h(hex))).toBe(text);
      expect(toHex(fromBase64Url(text))).toBe(hex);
    }
  });

  it.each(V.enc.map((v) => [v.name, v] as const))("enc: %s", (_name, v) => {
    const fields = v.inputs.fields.map(h);
    expect(toHex(enc(...fields))).toBe(v.expected.encoded);
    expect(dec(h(v.expected.encoded), fields.length).map(toHex)).toEqual(v.inputs.fields);
  });

  it("the two enc vectors with the same concatenation encode differently", () => {
    const [a, b] = V.enc.slice(-2);
    expect(a?.expected.encoded).not.toBe(b?.expected.encoded);
    expect(a?.inputs.fields.join("")).toBe(b?.inputs.fields.join(""));
  });

  it("DTLS fingerprints format as upper-case colon hex and parse back", () => {
    const { inputs, expected } = V.dtlsFingerprint;
    expect(formatDtlsFingerprint(h(inputs.bytes))).toBe(expected.text);
    expect(toHex(parseDtlsFingerprint(expected.text))).toBe(inputs.bytes);
    expect(toHex(parseDtlsFingerprint(expected.text.toLowerCase()))).toBe(inputs.bytes);
  });
});

describe("hellos", () => {
  it.each(V.hellos.map((v) => [v.name, v] as const))("%s: encoding, decoding and commitment", async (_name, v) => {
    const i = v.inputs;
    const hello = { consultId: h(i.consultId), deviceId: h(i.deviceId), sid: h(i.sid), identity: h(i.identity), ephemeral: h(i.ephemeral), dtls: h(i.dtls) };
    const bytes = encodeHello(hello);
    expect(toHex(bytes)).toBe(v.expected.hello);
    expect(decodeHello(h(v.expected.hello))).toEqual(hello);
    expect(toHex(await commitment(bytes))).toBe(v.expected.commitment);
  });

  it.each(V.hellos.map((v) => [v.name, v] as const))("%s: the signed bytes are exact and the stored signature verifies", async (_name, v) => {
    const hello = h(v.expected.hello);
    const signature = h(v.expected.signature);
    expect(toHex(enc(label(LABEL.helloSig), hello))).toBe(v.expected.signedData);
    const verified = await verifyHello(hello, signature);
    expect(toHex(verified.identity)).toBe(v.inputs.identity);
    expect(await verifyLabeled(h(v.inputs.identity), LABEL.helloSig, hello, signature)).toBe(true);
    expect(await verifyRaw(await importVerifyKey(h(v.inputs.identity)), h(v.expected.signedData), signature)).toBe(true);
    // The signature is bound to its label: the same bytes under another label do not verify.
    expect(await verifyLabeled(h(v.inputs.identity), LABEL.msgSig, hello, signature)).toBe(false);
  });

  it("a fresh signature by the fixed identity key verifies too; the other identity's does not", async () => {
    const [a, b] = V.hellos;
    if (!a || !b) throw new Error("two hellos expected");
    const sig = await signHello(await importSigningJwk(V.keys.identityA.jwk), h(a.expected.hello));
    await expect(verifyHello(h(a.expected.hello), sig)).resolves.toBeDefined();
    const wrong = await signHello(await importSigningJwk(V.keys.identityB.jwk), h(a.expected.hello));
    await expect(verifyHello(h(a.expected.hello), wrong)).rejects.toThrow(/signature/);
    // A's stored signature does not verify B's hello.
    await expect(verifyHello(h(b.expected.hello), h(a.expected.signature))).rejects.toThrow();
  });
});

describe("handshake derivations", () => {
  it("transcript hash, in either argument order", async () => {
    const { inputs, expected } = V.transcriptHash;
    expect(toHex(await transcriptHash(h(inputs.helloA), h(inputs.helloB)))).toBe(expected.th);
    expect(toHex(await transcriptHash(h(inputs.helloB), h(inputs.helloA)))).toBe(expected.th);
    const [lo, hi] = expected.firstInByteOrder === "A" ? [inputs.helloA, inputs.helloB] : [inputs.helloB, inputs.helloA];
    expect(lo < hi).toBe(true);
    const th = new Uint8Array(await crypto.subtle.digest("SHA-256", enc(label(LABEL.transcript), h(lo), h(hi))));
    expect(toHex(th)).toBe(expected.th);
  });

  it("pairwise key bytes from two fixed ECDH keys: both sides derive the same", async () => {
    const { inputs, expected } = V.pairwise;
    expect(inputs.privateA).toBe(V.keys.ephemeralA.d);
    expect(inputs.privateB).toBe(V.keys.ephemeralB.d);
    const a = await pairwiseKeyBytes(await importEcdhJwk(V.keys.ephemeralA.jwk), h(inputs.publicB), h(inputs.th));
    const b = await pairwiseKeyBytes(await importEcdhJwk(V.keys.ephemeralB.jwk), h(inputs.publicA), h(inputs.th));
    expect(toHex(a)).toBe(expected.pairwise);
    expect(toHex(b)).toBe(expected.pairwise);
    // The ephemeral keys are the ones in the hellos.
    expect(V.hellos.map((v) => v.inputs.ephemeral)).toEqual([inputs.publicA, inputs.publicB]);
  });

  it("pairwiseKey() is the same AES key as the vector's bytes", async () => {
    const { inputs, expected } = V.pairwise;
    const key = await pairwiseKey(await importEcdhJwk(V.keys.ephemeralA.jwk), h(inputs.publicB), h(inputs.th));
    const iv = new Uint8Array(12);
    const viaKey = await seal(key, utf8("x"), new Uint8Array(0), iv);
    const viaBytes = await seal(await importAeadKey(h(expected.pairwise)), utf8("x"), new Uint8Array(0), iv);
    expect(toHex(viaKey.ciphertext)).toBe(toHex(viaBytes.ciphertext));
  });

  it.each(V.callCode.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const th = h(v.inputs.th);
    expect(toHex(await hkdf(th, new Uint8Array(32), label(LABEL.callCode), 5))).toBe(v.expected.hkdf);
    const code = await callCode(th);
    expect(code.numbers).toEqual(v.expected.numbers);
    expect(code.text).toBe(v.expected.text);
    // The bit layout, independently: top 39 bits of the 40-bit value, three 13-bit groups.
    const bits = BigInt("0x" + v.expected.hkdf) >> 1n;
    expect(v.expected.numbers).toEqual([Number(bits >> 26n) + 1000, Number((bits >> 13n) & 0x1fffn) + 1000, Number(bits & 0x1fffn) + 1000]);
  });

  it("the call-code vectors include the TH of the two hellos", () => {
    expect(V.callCode.map((v) => v.inputs.th)).toContain(V.transcriptHash.expected.th);
  });
});

describe("identity", () => {
  it("safety number of two fixed SPKIs, in either order", async () => {
    const { inputs, expected } = V.safetyNumber;
    expect(await safetyNumber(h(inputs.spkiA), h(inputs.spkiB))).toBe(expected.safetyNumber);
    expect(await safetyNumber(h(inputs.spkiB), h(inputs.spkiA))).toBe(expected.safetyNumber);
    expect(expected.safetyNumber).toMatch(/^\d{5}( \d{5}){11}$/);
  });

  it.each(V.fingerprint.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    expect(toHex(await fingerprint(h(v.inputs.spki)))).toBe(v.expected.fingerprint);
  });
});

describe("consult key message", () => {
  const { inputs, expected } = V.consultKey;
  let ctx: KeyContext;
  beforeAll(() => {
    ctx = { th: h(inputs.th), consultId: h(inputs.consultId), senderDeviceId: h(inputs.senderDeviceId), recipientDeviceId: h(inputs.recipientDeviceId) };
  });

  it("keyAad bytes", () => {
    const k = V.keyAad;
    expect(toHex(keyAad({ th: h(k.inputs.th), consultId: h(k.inputs.consultId), senderDeviceId: h(k.inputs.senderDeviceId), recipientDeviceId: h(k.inputs.recipientDeviceId) }))).toBe(k.expected.aad);
    expect(toHex(keyAad(ctx))).toBe(expected.aad);
  });

  it("uses the pairwise key and TH of the handshake vectors", () => {
    expect(inputs.pairwise).toBe(V.pairwise.expected.pairwise);
    expect(inputs.th).toBe(V.transcriptHash.expected.th);
  });

  it("wrapConsultKey with a fixed IV gives the exact ciphertext", async () => {
    const wrapped = await wrapConsultKey(await importAeadKey(h(inputs.pairwise)), { key: h(inputs.key), keyId: h(inputs.keyId), epoch: inputs.epoch }, ctx, h(inputs.iv));
    expect(toHex(wrapped.iv)).toBe(inputs.iv);
    expect(toHex(wrapped.ciphertext)).toBe(expected.ciphertext);
    expect(wrapped.ciphertext.length).toBe(52 + 16);
  });

  it("the plaintext is key ‖ keyId ‖ u32(epoch)", async () => {
    expect(expected.plaintext).toBe(inputs.key + inputs.keyId + toHex(u32(inputs.epoch)));
    // Decrypting the vector with the raw AES-GCM key gives exactly that plaintext.
    const raw = await crypto.subtle.importKey("raw", h(inputs.pairwise), "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: h(inputs.iv), additionalData: h(expected.aad), tagLength: 128 }, raw, h(expected.ciphertext));
    expect(toHex(new Uint8Array(plain))).toBe(expected.plaintext);
  });

  it("unwrapConsultKey gives the key back", async () => {
    const k = await unwrapConsultKey(await importAeadKey(h(inputs.pairwise)), h(inputs.iv), h(expected.ciphertext), ctx);
    expect({ key: toHex(k.key), keyId: toHex(k.keyId), epoch: k.epoch }).toEqual({ key: inputs.key, keyId: inputs.keyId, epoch: inputs.epoch });
  });
});

// The same values from node:crypto, without lib/crypto: the vectors say what the spec says, not
// only what the implementation happened to compute when the file was written.
describe("independent recomputation with node:crypto", () => {
  const sha256hex = (...parts: Uint8Array[]) => {
    const hash = createHash("sha256");
    for (const p of parts) hash.update(p);
    return hash.digest("hex");
  };
  const len = (b: Uint8Array) => u32(b.length);
  const encNode = (...fields: Uint8Array[]) => Buffer.concat(fields.flatMap((f) => [len(f), f]));

  it("hello encoding, commitment and transcript hash", () => {
    for (const v of V.hellos) {
      const i = v.inputs;
      const hello = encNode(Buffer.from("parley/v1"), h(i.consultId), h(i.deviceId), h(i.sid), h(i.identity), h(i.ephemeral), h(i.dtls));
      expect(hello.toString("hex")).toBe(v.expected.hello);
      expect(sha256hex(encNode(Buffer.from("parley/v1/commit"), hello))).toBe(v.expected.commitment);
      expect(encNode(Buffer.from("parley/v1/hello-sig"), hello).toString("hex")).toBe(v.expected.signedData);
    }
    const [a, b] = [V.transcriptHash.inputs.helloA, V.transcriptHash.inputs.helloB].sort();
    expect(sha256hex(encNode(Buffer.from("parley/v1/th"), h(a ?? ""), h(b ?? "")))).toBe(V.transcriptHash.expected.th);
  });

  it("pairwise key: ECDH then HKDF(salt = TH, info = parley/v1/pairwise)", () => {
    const { inputs, expected } = V.pairwise;
    const a = createECDH("prime256v1");
    a.setPrivateKey(Buffer.from(inputs.privateA, "hex"));
    expect(a.getPublicKey("hex")).toBe(inputs.publicA);
    const b = createECDH("prime256v1");
    b.setPrivateKey(Buffer.from(inputs.privateB, "hex"));
    expect(b.getPublicKey("hex")).toBe(inputs.publicB);
    const shared = a.computeSecret(Buffer.from(inputs.publicB, "hex"));
    expect(shared.toString("hex")).toBe(b.computeSecret(Buffer.from(inputs.publicA, "hex")).toString("hex"));
    expect(Buffer.from(hkdfSync("sha256", shared, h(inputs.th), "parley/v1/pairwise", 32)).toString("hex")).toBe(expected.pairwise);
  });

  it("call code HKDF, safety number, fingerprint and key AAD", () => {
    for (const v of V.callCode) expect(Buffer.from(hkdfSync("sha256", h(v.inputs.th), new Uint8Array(32), "parley/v1/call-code", 5)).toString("hex")).toBe(v.expected.hkdf);
    const half = (spki: string) => {
      const d = createHash("sha256")
        .update(encNode(Buffer.from("parley/v1/safety"), h(spki)))
        .digest();
      return Array.from({ length: 6 }, (_, i) => (d.readUIntBE(5 * i, 5) % 100000).toString().padStart(5, "0")).join("");
    };
    const digits = [half(V.safetyNumber.inputs.spkiA), half(V.safetyNumber.inputs.spkiB)].sort().join("");
    expect(V.safetyNumber.expected.safetyNumber).toBe((digits.match(/\d{5}/g) ?? []).join(" "));
    for (const v of V.fingerprint) expect(sha256hex(h(v.inputs.spki))).toBe(v.expected.fingerprint);
    const k = V.keyAad.inputs;
    expect(encNode(Buffer.from("parley/v1/key"), h(k.th), h(k.consultId), h(k.senderDeviceId), h(k.recipientDeviceId)).toString("hex")).toBe(V.keyAad.expected.aad);
  });
});
