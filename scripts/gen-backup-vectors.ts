// Writes the fixed vectors of PROTOCOL §7 (devices and backup): a consult key and a name key sealed to
// a device, a backup key and a records key (§7.1), a backup key wrapped under a passphrase (§7.3) and
// a recovery sheet (§7.4). Every output is computed through lib/crypto's own code and checked here
// against independent implementations: node:crypto (ECDH, HKDF, AES-GCM), @node-rs/argon2 (Argon2id)
// and a BIP-39 encoder written out below. tests/unit/crypto/{key-copies,passphrase-backup,records-sheet}.test.ts
// recompute every output.
//
//   npx tsx scripts/gen-backup-vectors.ts            writes tests/vectors/parley-v1-devices-backup.json once
//   npx tsx scripts/gen-backup-vectors.ts --force    overwrites it (a protocol change!)
import { createDecipheriv, createECDH, createHash, createPrivateKey, hkdfSync } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
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
  recordsFingerprint,
  recordsKeyFromScalar,
  sealConsultKeyCopy,
  sealNameKeyCopy,
  sealHistoryPins,
  sheetWords,
  toHex,
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
const pinsBox = await sealHistoryPins(userId, consultId, pinsList, backupKey.spki, fixed);
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
const pins = {
  tests: "three pins (own device compared; a compared one; one not compared) sealed to B for userId and consultId",
  pins: pinsList.map((p) => ({ spki: toHex(p.spki), verified: p.verified, own: p.own })),
  box: toHex(pinsBox),
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
    source: "scripts/gen-backup-vectors.ts (lib/crypto/{key-copies,passphrase-backup,records-sheet}.ts, cross-checked with node:crypto, @node-rs/argon2 and BIP-39 written out)",
    protocol: "parley/v1",
    section: "7 (devices and backup)",
    keys: {
      device: keyOut(deviceKey, "a linked device's box key (ECDH P-256)"),
      backup: keyOut(backupKey, "B, the person's backup key (ECDH P-256)"),
      records: keyOut(recordsKey, "R, the clinic's records key (ECDH P-256); its d is the sheet's"),
      nameKey: keyOut(nameKey, "N, the consult's name key, the plaintext of the name key copies"),
      ephemeral: keyOut(ephemeral, "e, the sealer's one-off key (fixed here only; one for every box)"),
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
  };
  writeFileSync(OUT, JSON.stringify(file, null, 2) + "\n");
  console.log(`wrote ${OUT}`);
}
