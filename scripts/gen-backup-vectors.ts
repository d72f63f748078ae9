// Writes the fixed vectors of PROTOCOL §7 (devices and backup): a consult key and a name key sealed to
// a device, a backup key and a records key (§7.1), a device's signed box key, a link's hello context
// and its grant (§7.2), a backup key wrapped under a passphrase (§7.3), a recovery sheet (§7.4) and a
// consult's pins sealed to each recipient (§7.5). Every output is computed through lib/crypto's own
// code and checked here against independent implementations: node:crypto (ECDH, ECDSA, HKDF, AES-GCM,
// SHA-256), @node-rs/argon2 (Argon2id) and a BIP-39 encoder written out below.
// tests/unit/crypto/{key-copies,device-link,passphrase-backup,records-sheet,history-pins}.test.ts
// recompute every output.
//
// Everything is deterministic except the box key's signature (ECDSA is randomized): it was made once
// by node:crypto and is tested to VERIFY, not to be reproduced; --force keeps the file's signature
// as long as it still verifies.
//
//   npx tsx scripts/gen-backup-vectors.ts            writes tests/vectors/parley-v1-devices-backup.json once
//   npx tsx scripts/gen-backup-vectors.ts --force    overwrites it (a protocol change!)
import { createDecipheriv, createECDH, createHash, createPrivateKey, createPublicKey, hkdfSync, sign, verify } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hashRaw, type Algorithm } from "@node-rs/argon2";
import { argon2id } from "hash-wasm";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import {
  BACKUP_KDF,
  dec,
  deriveBackupKek,
  encodeKdfParams,
  exportBoxKey,
  fromHex,
  importAeadKey,
  linkHelloContext,
  recordsFingerprint,
  recordsKeyFromScalar,
  sealConsultKeyCopy,
  sealNameKeyCopy,
  sealHistoryPins,
  sealLinkGrant,
  sheetWords,
  signBoxKey,
  subtle,
  toHex,
  verifyBoxKey,
  wrapBackupKey,
  type Bytes,
  type ConsultKey,
  type CopyRecipient,
  type KdfParams,
} from "../lib/crypto";
import { fixedEcdh, type FixedEcdhKey } from "./lib/fixed-ecdh";

const OUT = fileURLToPath(new URL("../tests/vectors/parley-v1-devices-backup.json", import.meta.url));
const force = process.argv.includes("--force");

type FixedKey = FixedEcdhKey;

// ---- independent checks (node:crypto, @node-rs/argon2, and BIP-39 written out) ----

/** enc(…) written again with Buffer: each field prefixed by its u32 big-endian length. */
function nodeEnc(...fields: Uint8Array[]): Buffer {
  return Buffer.concat(fields.flatMap((f) => [Buffer.from([f.length >>> 24, (f.length >>> 16) & 255, (f.length >>> 8) & 255, f.length & 255]), Buffer.from(f)]));
}
const nodeUuid = (uuid: string) => Buffer.from(uuid.replace(/-/g, ""), "hex");
const nodeU32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const text = (s: string) => Buffer.from(s, "utf8");

function nodeGcmOpen(k: Uint8Array, iv: Uint8Array, ct: Uint8Array, aad: Uint8Array): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", k, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]);
}

/** Opens a sealed box with node:crypto alone: the check that lib/crypto computed what §7.1 says. */
function nodeOpenBox(box: Uint8Array, rD: Uint8Array, rSpki: Uint8Array, label: string, salt: Uint8Array, aad: Uint8Array[]): Buffer {
  const [eSpki, iv, ct] = dec(box, 3) as [Bytes, Bytes, Bytes];
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(rD);
  const shared = ecdh.computeSecret(eSpki.subarray(eSpki.length - 65));
  const k = Buffer.from(hkdfSync("sha256", shared, salt, nodeEnc(text(label), eSpki, rSpki), 32));
  return nodeGcmOpen(k, iv, ct, nodeEnc(text(label), ...aad));
}

/** Argon2id by @node-rs/argon2 (the reference C code, natively). */
function nodeArgon2id(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<Buffer> {
  return hashRaw(passphrase.normalize("NFKC"), { algorithm: 2 as Algorithm, memoryCost: p.memoryKiB, timeCost: p.iterations, parallelism: p.parallelism, outputLen: 32, salt });
}

/** BIP-39 for 32 bytes of entropy: 264 bits (d ‖ SHA-256(d)[0]), 11 bits a word. */
function nodeBip39(d: Uint8Array): string[] {
  const bits = [...d, createHash("sha256").update(d).digest()[0] ?? 0].map((b) => b.toString(2).padStart(8, "0")).join("");
  return Array.from({ length: 24 }, (_, i) => wordlist[parseInt(bits.slice(11 * i, 11 * i + 11), 2)] ?? "?");
}

/** The d of a PKCS#8, read by node:crypto. */
function nodePkcs8D(pkcs8: Uint8Array): string {
  const jwk = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }).export({ format: "jwk" });
  return toHex(Buffer.from(jwk.d ?? "", "base64url"));
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`independent check failed: ${what}`);
}

// ---- the fixed inputs ----

const deviceKey = await fixedEcdh("parley/v1 test vector: device box key");
const backupKey = await fixedEcdh("parley/v1 test vector: backup key B");
const recordsKey = await fixedEcdh("parley/v1 test vector: records key R");
const nameKey = await fixedEcdh("parley/v1 test vector: name key N");
const ephemeral = await fixedEcdh("parley/v1 test vector: copy ephemeral e");
const userId = "5b0d6c2e-8f3a-4e61-9a7b-1c2d3e4f5a6b";
const consultId = "0192f3a4-b5c6-4d8e-9fa0-b1c2d3e4f506";
const deviceId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const other = { userId: "5b0d6c2e-8f3a-4e61-9a7b-1c2d3e4f5a6c", consultId: "0192f3a4-b5c6-4d8e-9fa0-b1c2d3e4f507", deviceId: "7c9e6679-7425-40de-944b-e07fc1f90ae8" };
const consultKey: ConsultKey = { epoch: 3, keyId: fromHex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"), key: fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f") };
const boxIv = fromHex("b0b1b2b3b4b5b6b7b8b9babb");

const recipients: { to: CopyRecipient; key: FixedKey; salt: string; aad: Buffer[]; nameAad: Buffer[] }[] = [
  {
    to: { kind: "device", userId, deviceId },
    key: deviceKey,
    salt: userId,
    aad: [nodeUuid(userId), nodeUuid(consultId), nodeUuid(deviceId)],
    nameAad: [nodeUuid(userId), nodeUuid(consultId), nodeUuid(deviceId)],
  },
  { to: { kind: "backup", userId }, key: backupKey, salt: userId, aad: [nodeUuid(userId), nodeUuid(consultId)], nameAad: [nodeUuid(userId), nodeUuid(consultId)] },
  { to: { kind: "records" }, key: recordsKey, salt: consultId, aad: [nodeUuid(consultId), nodeU32(consultKey.epoch), Buffer.from(consultKey.keyId)], nameAad: [nodeUuid(consultId)] },
];
const consultLabel = { device: "parley/v1/device-key", backup: "parley/v1/backup", records: "parley/v1/records" } as const;

// ---- §7.1: the copies ----

const namePkcs8 = await exportBoxKey(nameKey.pair.privateKey);
check(namePkcs8.length === 138 && nodePkcs8D(namePkcs8) === toHex(nameKey.d), "N's PKCS#8");
const fixed = { ephemeral: ephemeral.pair, iv: boxIv };
const copies = [];
for (const r of recipients) {
  const kind = r.to.kind;
  const box = await sealConsultKeyCopy(r.to, consultId, consultKey, r.key.spki, fixed);
  const plain = nodeOpenBox(box, r.key.d, r.key.spki, consultLabel[kind], nodeUuid(r.salt), r.aad);
  check(plain.equals(Buffer.concat([consultKey.key, consultKey.keyId, nodeU32(consultKey.epoch)])), `consult key to ${kind}`);
  copies.push({ what: "consult key", recipient: r.to, label: consultLabel[kind], salt: r.salt, box: toHex(box) });

  const nameBox = await sealNameKeyCopy(r.to, consultId, nameKey.pair.privateKey, r.key.spki, fixed);
  const namePlain = nodeOpenBox(nameBox, r.key.d, r.key.spki, `${consultLabel[kind]}-name`, nodeUuid(r.salt), r.nameAad);
  check(namePlain.equals(namePkcs8) && nodePkcs8D(namePlain) === toHex(nameKey.d), `name key to ${kind}`);
  copies.push({ what: "name key", recipient: r.to, label: `${consultLabel[kind]}-name`, salt: r.salt, box: toHex(nameBox) });
}

// ---- §7.5: a consult's pins, sealed to the backup key ----

const pinsList = [
  { spki: deviceKey.spki, verified: true, own: true },
  { spki: nameKey.spki, verified: true, own: false },
  { spki: recordsKey.spki, verified: false, own: false },
];
const pinsBox = await sealHistoryPins({ kind: "backup", userId }, consultId, pinsList, backupKey.spki, fixed);
const pinsPlain = nodeOpenBox(pinsBox, backupKey.d, backupKey.spki, "parley/v1/backup-pins", nodeUuid(userId), [nodeUuid(userId), nodeUuid(consultId)]);
check(
  pinsPlain.length === 738 &&
    pinsPlain[0] === 1 &&
    pinsPlain[1] === 3 &&
    pinsPlain.subarray(2, 93).equals(Buffer.from(deviceKey.spki)) &&
    pinsPlain[93] === 3 &&
    pinsPlain[185] === 1 &&
    pinsPlain[277] === 0,
  "the pins box",
);
// The same pins to a linked device and to the records key.
const pinsTo = async (to: CopyRecipient, key: FixedKey, label: string, salt: string, aad: Buffer[]) => {
  const box = await sealHistoryPins(to, consultId, pinsList, key.spki, fixed);
  check(nodeOpenBox(box, key.d, key.spki, label, nodeUuid(salt), aad).equals(pinsPlain), `the pins box to ${to.kind}`);
  return { tests: `the same pins sealed to the ${to.kind === "device" ? "device's box key" : "records key R"}`, recipient: to, label, salt, box: toHex(box) };
};
const pins = {
  tests: "three pins (own device compared; a compared one; one not compared) sealed to B for userId and consultId",
  pins: pinsList.map((p) => ({ spki: toHex(p.spki), verified: p.verified, own: p.own })),
  box: toHex(pinsBox),
  device: await pinsTo({ kind: "device", userId, deviceId }, deviceKey, "parley/v1/device-pins", userId, [nodeUuid(userId), nodeUuid(consultId), nodeUuid(deviceId)]),
  records: await pinsTo({ kind: "records" }, recordsKey, "parley/v1/records-pins", consultId, [nodeUuid(consultId)]),
};

// ---- §7.2: the device's box key signed by its identity, the link's hello context, the grant ----

const identityKey = await fixedEcdh("parley/v1 test vector: device identity key");
const linkId = "3f2a1b0c-9d8e-4f70-8a1b-2c3d4e5f6a7b";
const fromDeviceId = "7c9e6679-7425-40de-944b-e07fc1f90a01";
const boxKeySigned = nodeEnc(text("parley/v1/box-key"), nodeUuid(userId), nodeUuid(deviceId), deviceKey.spki);
const nodeIdentity = createPrivateKey({ key: identityKey.jwk, format: "jwk" });
check(createPublicKey(nodeIdentity).export({ type: "spki", format: "der" }).equals(identityKey.spki), "the identity's SPKI");
const nodeVerifies = (signature: Uint8Array) => verify("sha256", boxKeySigned, { key: createPublicKey(nodeIdentity), dsaEncoding: "ieee-p1363" }, signature);
const earlier = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, "utf8")) as { link?: { boxKey?: { signature?: string } } }).link?.boxKey?.signature : undefined;
const boxKeySignature = earlier && nodeVerifies(fromHex(earlier)) ? fromHex(earlier) : new Uint8Array(sign("sha256", boxKeySigned, { key: nodeIdentity, dsaEncoding: "ieee-p1363" }));
check(boxKeySigned.length === 156 && boxKeySignature.length === 64, "the box key's signed bytes");
check(await verifyBoxKey(identityKey.spki, boxKeySignature, userId, deviceId, deviceKey.spki), "WebCrypto verifies node's box key signature");
for (const [what, ok] of [
  ["another user", await verifyBoxKey(identityKey.spki, boxKeySignature, other.userId, deviceId, deviceKey.spki)],
  ["another device", await verifyBoxKey(identityKey.spki, boxKeySignature, userId, other.deviceId, deviceKey.spki)],
  ["another box key", await verifyBoxKey(identityKey.spki, boxKeySignature, userId, deviceId, backupKey.spki)],
  ["another identity", await verifyBoxKey(backupKey.spki, boxKeySignature, userId, deviceId, deviceKey.spki)],
] as const) {
  check(!ok, `the box key's signature refused for ${what}`);
}
const ecdsaAlg = { name: "ECDSA", namedCurve: "P-256" } as const;
const identityPrivate = await subtle().importKey("jwk", identityKey.jwk, ecdsaAlg, false, ["sign"]);
check(nodeVerifies(await signBoxKey(identityPrivate, userId, deviceId, deviceKey.spki)), "node:crypto verifies signBoxKey's signature");

const helloContext = await linkHelloContext(linkId);
check(
  createHash("sha256")
    .update(nodeEnc(text("parley/v1/link-context"), nodeUuid(linkId)))
    .digest()
    .subarray(0, 16)
    .equals(helloContext),
  "the link's hello context",
);

const pairwiseRaw = fromHex("909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
const pairwise = await importAeadKey(pairwiseRaw);
const linkCtx = { linkId, fromDeviceId, toDeviceId: deviceId };
const grantAad = nodeEnc(text("parley/v1/link"), nodeUuid(linkId), nodeUuid(fromDeviceId), nodeUuid(deviceId));
const grantOf = async (backupSpki: Uint8Array | undefined, iv: Uint8Array, tests: string) => {
  const sealed = await sealLinkGrant(pairwise, linkCtx, backupSpki ? { backupSpki } : {}, iv);
  const plain = nodeGcmOpen(pairwiseRaw, sealed.iv, sealed.ciphertext, grantAad);
  check(plain.equals(Buffer.concat([Buffer.from([1, backupSpki ? 1 : 0]), backupSpki ? Buffer.from(backupSpki) : Buffer.alloc(91)])), `the grant (${tests})`);
  return { tests, backupSpki: backupSpki ? toHex(backupSpki) : null, iv: toHex(sealed.iv), plaintext: toHex(plain), ciphertext: toHex(sealed.ciphertext) };
};
const link = {
  tests: "linking the device of input.deviceId (B) to the person's device A over link linkId",
  linkId,
  fromDeviceId,
  toDeviceId: deviceId,
  boxKey: {
    tests: "B's box key (keys.device) signed by B's identity (keys.identity, as ECDSA) for input.userId and input.deviceId; signature made ONCE by node:crypto (ECDSA is randomized), must verify",
    identitySpki: toHex(identityKey.spki),
    boxSpki: toHex(deviceKey.spki),
    signed: toHex(boxKeySigned),
    signature: toHex(boxKeySignature),
  },
  helloContext: { tests: "the consult id field of the link's hellos: SHA-256(enc(label, linkId))[0..16]", context: toHex(helloContext) },
  grant: {
    tests: "A's grant to B under the pairwise key, with and without the backup key B (keys.backup)",
    pairwise: toHex(pairwiseRaw),
    aad: toHex(grantAad),
    withBackup: await grantOf(backupKey.spki, fromHex("a0a1a2a3a4a5a6a7a8a9aaab"), "with the backup key"),
    withoutBackup: await grantOf(undefined, fromHex("a0a1a2a3a4a5a6a7a8a9aaac"), "without a backup key"),
  },
};

// ---- §7.3: the backup wrap, with small Argon2id parameters, and one with the real ones ----

const passphrase = "correct horse battery staple";
async function backupWrap(params: KdfParams, salt: Uint8Array, iv: Uint8Array) {
  const kek = await argon2id({
    password: passphrase.normalize("NFKC"),
    salt,
    iterations: params.iterations,
    parallelism: params.parallelism,
    memorySize: params.memoryKiB,
    hashLength: 32,
    outputType: "binary",
  });
  check(Buffer.from(kek).equals(await nodeArgon2id(passphrase, salt, params)), `Argon2id ${JSON.stringify(params)}`);
  const wrapped = await wrapBackupKey(await deriveBackupKek(passphrase, salt, params), userId, backupKey.spki, params, backupKey.pair.privateKey, iv);
  const paramsBytes = encodeKdfParams(params);
  check(Buffer.from(paramsBytes).equals(nodeEnc(text("argon2id"), nodeU32(params.memoryKiB), nodeU32(params.iterations), nodeU32(params.parallelism))), "the parameters' encoding");
  const aad = nodeEnc(text("parley/v1/backup-key"), nodeUuid(userId), backupKey.spki, paramsBytes);
  const pkcs8 = nodeGcmOpen(kek, wrapped.iv, wrapped.ciphertext, aad);
  check(pkcs8.length === 138 && nodePkcs8D(pkcs8) === toHex(backupKey.d), "the wrapped backup key");
  return { params, paramsEncoded: toHex(paramsBytes), salt: toHex(salt), kek: toHex(kek), iv: toHex(wrapped.iv), aad: toHex(aad), wrapped: toHex(wrapped.ciphertext) };
}
const small = await backupWrap({ algorithm: "argon2id", memoryKiB: 64, iterations: 1, parallelism: 1 }, fromHex("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"), fromHex("e0e1e2e3e4e5e6e7e8e9eaeb"));
const owasp = await backupWrap(BACKUP_KDF, fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), fromHex("e0e1e2e3e4e5e6e7e8e9eaec"));

// ---- §7.4: the recovery sheet of R ----

const words = sheetWords(recordsKey.d);
check(words.join(" ") === nodeBip39(recordsKey.d).join(" "), "the sheet's words");
const fromWords = await recordsKeyFromScalar(recordsKey.d);
const nodePoint = createECDH("prime256v1");
nodePoint.setPrivateKey(recordsKey.d);
check(toHex(fromWords.spki) === toHex(recordsKey.spki) && toHex(recordsKey.spki).endsWith(nodePoint.getPublicKey("hex")), "R's SPKI from d");
const fingerprint = await recordsFingerprint(recordsKey.spki);
check(fingerprint === (createHash("sha256").update(recordsKey.spki).digest("hex").slice(0, 32).match(/.{4}/g) ?? []).join(" "), "R's fingerprint");

if (existsSync(OUT) && !force) {
  console.log(`${OUT} exists; left as it is (use --force only for a protocol change)`);
} else {
  const keyOut = (k: FixedKey, tests: string) => ({ tests, seed: k.seed, d: toHex(k.d), jwk: k.jwk, spki: toHex(k.spki) });
  const file = {
    source:
      "scripts/gen-backup-vectors.ts (lib/crypto/{key-copies,device-link,passphrase-backup,records-sheet,history-pins}.ts, cross-checked with node:crypto, @node-rs/argon2 and BIP-39 written out)",
    protocol: "parley/v1",
    section: "7 (devices and backup)",
    keys: {
      device: keyOut(deviceKey, "a linked device's box key (ECDH P-256)"),
      backup: keyOut(backupKey, "B, the person's backup key (ECDH P-256)"),
      records: keyOut(recordsKey, "R, the clinic's records key (ECDH P-256); its d is the sheet's"),
      nameKey: keyOut(nameKey, "N, the consult's name key, the plaintext of the name key copies"),
      ephemeral: keyOut(ephemeral, "e, the sealer's one-off key (fixed here only; one for every box)"),
      identity: keyOut(identityKey, "the linked device's identity key (ECDSA P-256: this d and SPKI, imported for ECDSA), signing its box key"),
    },
    input: {
      userId,
      consultId,
      deviceId,
      consultKey: { epoch: consultKey.epoch, keyId: toHex(consultKey.keyId), key: toHex(consultKey.key) },
      namePkcs8: toHex(namePkcs8),
      iv: toHex(boxIv),
      other: { ...other, tests: "ids of another person, consult and device, for the refusals" },
    },
    copies,
    backup: { tests: "B wrapped for userId; kek is Argon2id(passphrase, salt, params)", passphrase, small, owasp },
    sheet: { tests: "R's recovery sheet", d: toHex(recordsKey.d), words, spki: toHex(recordsKey.spki), fingerprint },
    pins,
    link,
  };
  writeFileSync(OUT, JSON.stringify(file, null, 2) + "\n");
  console.log(`wrote ${OUT}`);
}
