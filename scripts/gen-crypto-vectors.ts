// Writes tests/vectors/parley-v1.json: Parley's fixed test vectors for every derivation and
// encoding of protocol v1 (docs/protocol.md), computed through lib/crypto's own entry points.
//
//   npx tsx scripts/gen-crypto-vectors.ts            refuses if the file exists
//   npx tsx scripts/gen-crypto-vectors.ts --force    overwrites it (a protocol change!)
//
// Run ONCE; the file is committed and tests/unit/crypto/vectors.test.ts only reads it and recomputes
// every output. Regenerating it is never a fix for a failing vector test: a changed output means
// the wire format changed, which breaks every device that speaks v1.
//
// Everything is deterministic except the two hello signatures (ECDSA is randomized): those were
// made once with the fixed identity keys and are tested to VERIFY, not to be reproduced.
//
// Fixed keys: WebCrypto cannot generate a key from a seed, so each private scalar is
// d = SHA-256(utf8(seed)) and is imported as a PKCS#8 PrivateKeyInfo that carries d alone (no public
// key); Node's WebCrypto (OpenSSL 3) computes the public point, which is exported as a JWK with
// d, x, y and cross-checked against node:crypto's ECDH. The tests import those JWKs.
import { createECDH, createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import {
  bytesToUuid,
  callCode,
  commitment,
  concat,
  enc,
  encodeHello,
  fingerprint,
  formatDtlsFingerprint,
  fromBase64Url,
  fromHex,
  hkdf,
  importAeadKey,
  keyAad,
  label,
  LABEL,
  pairwiseKeyBytes,
  safetyNumber,
  signHello,
  subtle,
  toBase64Url,
  toHex,
  transcriptHash,
  u32,
  u64,
  unwrapConsultKey,
  utf8,
  uuidBytes,
  verifyHello,
  VERSION,
  wrapConsultKey,
  type Bytes,
  type Hello,
} from "../lib/crypto/index";
import type { PrivateJwk, VectorFile } from "../tests/unit/crypto/parley-vectors";

const OUT = fileURLToPath(new URL("../tests/vectors/parley-v1.json", import.meta.url));

// PKCS#8 { version 0, { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey { 1, d } } }.
const PKCS8_P256_PREFIX = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");

type FixedKey = { tests: string; seed: string; d: string; point: string; jwk: PrivateJwk };

async function fixedKey(seed: string, tests: string): Promise<FixedKey> {
  const d = new Uint8Array(createHash("sha256").update(seed, "utf8").digest());
  const der = concat(PKCS8_P256_PREFIX, d);
  const key = await subtle().importKey("pkcs8", der, { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const jwk = await subtle().exportKey("jwk", key);
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || jwk.d === undefined || jwk.x === undefined || jwk.y === undefined) throw new Error("unexpected JWK export");
  if (toHex(fromBase64Url(jwk.d)) !== toHex(d)) throw new Error("the exported d differs from the imported one");
  const point = concat(Uint8Array.of(4), fromBase64Url(jwk.x), fromBase64Url(jwk.y));
  // Cross-check the public point with an independent computation.
  const node = createECDH("prime256v1");
  node.setPrivateKey(d);
  if (toHex(new Uint8Array(node.getPublicKey())) !== toHex(point)) throw new Error(`public point mismatch for ${seed}`);
  return { tests, seed, d: toHex(d), point: toHex(point), jwk: { kty: "EC", crv: "P-256", d: jwk.d, x: jwk.x, y: jwk.y } };
}

async function spkiOf(k: FixedKey): Promise<Bytes> {
  const { kty, crv, x, y } = k.jwk;
  const pub = await subtle().importKey("jwk", { kty, crv, x, y }, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
  return new Uint8Array(await subtle().exportKey("spki", pub));
}

function signingKey(k: FixedKey): Promise<CryptoKey> {
  return subtle().importKey("jwk", k.jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
}

function ecdhKey(k: FixedKey): Promise<CryptoKey> {
  return subtle().importKey("jwk", k.jwk, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
}

const sha = (s: string): Bytes => new Uint8Array(createHash("sha256").update(s, "utf8").digest());
const seq = (start: number, n: number): Bytes => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const helloHex = (h: Hello) => ({
  consultId: toHex(h.consultId),
  deviceId: toHex(h.deviceId),
  sid: toHex(h.sid),
  identity: toHex(h.identity),
  ephemeral: toHex(h.ephemeral),
  dtls: toHex(h.dtls),
});

async function main(): Promise<void> {
  const force = process.argv.includes("--force");
  if (existsSync(OUT) && !force) {
    console.error(`${OUT} exists. It is fixed: a changed output is a protocol change. Use --force only for a new protocol version.`);
    process.exit(1);
  }

  // ---- Fixed keys ----
  const identityA = await fixedKey("parley/v1 test vector: identity key A", "identity key (ECDSA P-256) of device A");
  const identityB = await fixedKey("parley/v1 test vector: identity key B", "identity key (ECDSA P-256) of device B");
  const ephemeralA = await fixedKey("parley/v1 test vector: ephemeral key A", "ephemeral key (ECDH P-256) of session A");
  const ephemeralB = await fixedKey("parley/v1 test vector: ephemeral key B", "ephemeral key (ECDH P-256) of session B");
  const spkiA = await spkiOf(identityA);
  const spkiB = await spkiOf(identityB);

  // ---- Fixed ids ----
  const consultUuid = "01935f2e-8a4b-7c3d-9e1f-2a3b4c5d6e7f";
  const deviceUuidA = "01935f2e-8a4b-7001-8000-0000000000a1";
  const deviceUuidB = "01935f2e-8a4b-7002-8000-0000000000b2";
  const consultId = uuidBytes(consultUuid);
  const deviceA = uuidBytes(deviceUuidA);
  const deviceB = uuidBytes(deviceUuidB);
  const sidA = fromHex("5e55a0a0a1a2a3a4a5a6a7a8a9aaabac");
  const sidB = fromHex("5e55b0b0b1b2b3b4b5b6b7b8b9babbbc");
  const dtlsA = sha("parley/v1 test vector: DTLS certificate A");
  const dtlsB = sha("parley/v1 test vector: DTLS certificate B");

  // ---- Hellos, commitments, signatures ----
  const helloA: Hello = { consultId, deviceId: deviceA, sid: sidA, identity: spkiA, ephemeral: fromHex(ephemeralA.point), dtls: dtlsA };
  const helloB: Hello = { consultId, deviceId: deviceB, sid: sidB, identity: spkiB, ephemeral: fromHex(ephemeralB.point), dtls: dtlsB };
  const hellos = [];
  for (const [name, h, idKey] of [
    ["A", helloA, identityA],
    ["B", helloB, identityB],
  ] as const) {
    const bytes = encodeHello(h);
    const signature = await signHello(await signingKey(idKey), bytes);
    await verifyHello(bytes, signature); // throws if not
    hellos.push({
      name: `hello ${name}`,
      tests:
        'encodeHello/decodeHello of fixed fields = enc("parley/v1", consultId, deviceId, sid, identity SPKI, ephemeral point, DTLS fingerprint); ' +
        'commitment = SHA-256(enc("parley/v1/commit", hello)); signedData = enc("parley/v1/hello-sig", hello); ' +
        "signature: made ONCE with the fixed identity key (ECDSA is randomized), must verify with verifyHello",
      inputs: helloHex(h),
      expected: {
        hello: toHex(bytes),
        commitment: toHex(await commitment(bytes)),
        signedData: toHex(enc(label(LABEL.helloSig), bytes)),
        signature: toHex(signature),
      },
    });
  }
  const helloBytesA = encodeHello(helloA);
  const helloBytesB = encodeHello(helloB);

  // ---- Transcript hash, pairwise key, call codes ----
  const th = await transcriptHash(helloBytesA, helloBytesB);
  if (toHex(th) !== toHex(await transcriptHash(helloBytesB, helloBytesA))) throw new Error("TH depends on argument order");
  const firstInByteOrder = toHex(helloBytesA) < toHex(helloBytesB) ? "A" : "B";
  const pairwiseA = await pairwiseKeyBytes(await ecdhKey(ephemeralA), fromHex(ephemeralB.point), th);
  const pairwiseB = await pairwiseKeyBytes(await ecdhKey(ephemeralB), fromHex(ephemeralA.point), th);
  if (toHex(pairwiseA) !== toHex(pairwiseB)) throw new Error("the two sides derive different pairwise keys");

  const codeVector = async (name: string, tests: string, t: Uint8Array) => {
    const code = await callCode(t);
    return {
      name,
      tests,
      inputs: { th: toHex(t) },
      expected: { hkdf: toHex(await hkdf(t, new Uint8Array(32), label(LABEL.callCode), 5)), numbers: code.numbers, text: code.text },
    };
  };
  const codeTests =
    'callCode(TH): HKDF-SHA-256(ikm = TH, salt = 32 zero bytes, info = "parley/v1/call-code", 5 bytes); the 40-bit big-endian value >> 1 ' +
    "gives 39 bits, split into three 13-bit numbers (most significant first), each shown as 1000 + n";

  // ---- Consult key ----
  const k = { key: seq(0x00, 32), keyId: seq(0xa0, 16), epoch: 3 };
  const iv = seq(0xc0, 12);
  const ctx = { th, consultId, senderDeviceId: deviceA, recipientDeviceId: deviceB };
  const wrapped = await wrapConsultKey(await importAeadKey(pairwiseA), k, ctx, iv);
  const back = await unwrapConsultKey(await importAeadKey(pairwiseB), wrapped.iv, wrapped.ciphertext, ctx);
  if (toHex(back.key) !== toHex(k.key) || toHex(back.keyId) !== toHex(k.keyId) || back.epoch !== k.epoch) throw new Error("consult key round trip");

  const generated = new Date().toISOString().slice(0, 10);
  const file: VectorFile = {
    source:
      `Generated by scripts/gen-crypto-vectors.ts on ${generated} and committed. Do NOT regenerate casually: ` +
      "tests/unit/crypto/vectors.test.ts recomputes every value through lib/crypto, and a change in any output is a change of the " +
      "v1 wire protocol (docs/protocol.md) that breaks interoperability. All byte strings are lower-case hex; JWK members are base64url.",
    protocol: VERSION,
    keys: {
      tests:
        "fixed P-256 private keys: d = SHA-256(utf8(seed)), imported as PKCS#8 with d only, public point computed by WebCrypto and " + "cross-checked with node:crypto; tests import the JWK (d, x, y)",
      identityA: { ...identityA, spki: toHex(spkiA) },
      identityB: { ...identityB, spki: toHex(spkiB) },
      ephemeralA,
      ephemeralB,
    },
    labels: {
      tests: "LABEL values and VERSION as UTF-8 (the first field of everything they label)",
      entries: ([["VERSION", VERSION], ...Object.entries(LABEL)] as [string, string][]).map(([name, t]) => ({ name, text: t, hex: toHex(utf8(t)) })),
    },
    bytes: {
      tests: "u32/u64 big-endian; UUID ↔ 16 raw bytes (bytesToUuid gives lower case); base64url without padding",
      u32: [0, 1, 258, 0x01020304, 0xffffffff].map((n) => ({ n, hex: toHex(u32(n)) })),
      u64: [0n, 1n, 0x100000000n, 0x0102030405060708n, 0xffffffffffffffffn].map((n) => ({ n: n.toString(), hex: toHex(u64(n)) })),
      uuid: [consultUuid, deviceUuidA, deviceUuidB, "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"].map((u) => {
        const b = uuidBytes(u);
        if (bytesToUuid(b) !== u) throw new Error("uuid round trip");
        return { uuid: u, hex: toHex(b) };
      }),
      base64url: [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0xff), Uint8Array.of(0xfb, 0xff), Uint8Array.of(0xfb, 0xef, 0xbe), seq(0, 32), sidA].map((b) => ({
        hex: toHex(b),
        text: toBase64Url(b),
      })),
    },
    enc: (
      [
        ["no fields", []],
        ["one empty field", [new Uint8Array(0)]],
        ["the version label", [utf8(VERSION)]],
        ["label, 16-byte id, empty field, one byte", [label(LABEL.msg), consultId, new Uint8Array(0), Uint8Array.of(0xff)]],
        ["a 300-byte field (length prefix 0000012c)", [seq(0, 300)]],
        ["two fields whose concatenation is the same as one field's", [utf8("ab"), utf8("c")]],
        ["the split of the previous vector's bytes differently", [utf8("a"), utf8("bc")]],
      ] as const
    ).map(([name, fields]) => ({
      name,
      tests: "enc(f1, f2, …) = u32be(len f1) ‖ f1 ‖ u32be(len f2) ‖ f2 …; dec(encoded, n) gives the fields back",
      inputs: { fields: fields.map((f) => toHex(f)) },
      expected: { encoded: toHex(enc(...fields)) },
    })),
    dtlsFingerprint: {
      tests: "formatDtlsFingerprint/parseDtlsFingerprint: 32 bytes ↔ upper-case colon-separated hex as in SDP's a=fingerprint:sha-256",
      inputs: { bytes: toHex(dtlsA) },
      expected: { text: formatDtlsFingerprint(dtlsA) },
    },
    hellos,
    transcriptHash: {
      tests: 'transcriptHash(helloA, helloB) = SHA-256(enc("parley/v1/th", hello_lo, hello_hi)), the hellos in byte order; argument order does not matter',
      inputs: { helloA: toHex(helloBytesA), helloB: toHex(helloBytesB) },
      expected: { th: toHex(th), firstInByteOrder },
    },
    pairwise: {
      tests:
        'pairwiseKeyBytes = HKDF-SHA-256(ikm = ECDH(e_self, e_peer), salt = TH, info = "parley/v1/pairwise", 32 bytes) from the fixed ' +
        "ephemeral keys A and B (keys.ephemeralA/B) and the TH above; A and B derive the same bytes",
      inputs: { privateA: ephemeralA.d, publicA: ephemeralA.point, privateB: ephemeralB.d, publicB: ephemeralB.point, th: toHex(th) },
      expected: { pairwise: toHex(pairwiseA) },
    },
    callCode: [
      await codeVector("call code of the TH above", codeTests, th),
      await codeVector("call code of TH = 32 zero bytes", codeTests, new Uint8Array(32)),
      await codeVector("call code of TH = 32 bytes 0xff", codeTests, new Uint8Array(32).fill(0xff)),
    ],
    safetyNumber: {
      tests:
        'safetyNumber(spkiA, spkiB): per key the first 30 bytes of SHA-256(enc("parley/v1/safety", SPKI)) as six 5-byte big-endian ' +
        "integers mod 10^5, 5 digits each; the two 30-digit halves sorted and joined, 12 groups of 5; swapped arguments give the same",
      inputs: { spkiA: toHex(spkiA), spkiB: toHex(spkiB) },
      expected: { safetyNumber: await safetyNumber(spkiA, spkiB) },
    },
    fingerprint: [
      { name: "fingerprint of identity A", tests: "fingerprint(SPKI) = SHA-256(SPKI)", inputs: { spki: toHex(spkiA) }, expected: { fingerprint: toHex(await fingerprint(spkiA)) } },
      { name: "fingerprint of identity B", tests: "fingerprint(SPKI) = SHA-256(SPKI)", inputs: { spki: toHex(spkiB) }, expected: { fingerprint: toHex(await fingerprint(spkiB)) } },
    ],
    keyAad: {
      tests: 'keyAad = enc("parley/v1/key", TH, consultId, senderDeviceId, recipientDeviceId)',
      inputs: { th: toHex(th), consultId: toHex(consultId), senderDeviceId: toHex(deviceA), recipientDeviceId: toHex(deviceB) },
      expected: { aad: toHex(keyAad(ctx)) },
    },
    consultKey: {
      tests:
        "wrapConsultKey(pairwise, {key, keyId, epoch}, context, iv) = AES-256-GCM(pairwise, key ‖ keyId ‖ u32be(epoch), AAD = keyAad) " +
        "with a fixed IV (the app uses a random one); unwrapConsultKey gives the key back",
      inputs: {
        pairwise: toHex(pairwiseA),
        key: toHex(k.key),
        keyId: toHex(k.keyId),
        epoch: k.epoch,
        iv: toHex(iv),
        th: toHex(th),
        consultId: toHex(consultId),
        senderDeviceId: toHex(deviceA),
        recipientDeviceId: toHex(deviceB),
      },
      expected: { plaintext: toHex(concat(k.key, k.keyId, u32(k.epoch))), aad: toHex(keyAad(ctx)), ciphertext: toHex(wrapped.ciphertext) },
    },
  };

  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(file, null, 2) + "\n");
  console.log(`wrote ${OUT}`);
}

await main();
