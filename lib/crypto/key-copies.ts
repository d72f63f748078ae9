// Copies of a consult's keys (PROTOCOL §7.1): each consult key, and the consult's name key N, sealed
// (sealed-box.ts) to the three kinds of recipient that may open a record besides the device that made
// it: a linked device's box key, the person's backup key B, and the clinic's records key R.
//   consult key copy: plaintext K_n(32) ‖ keyId(16) ‖ u32(n), 52 bytes (ciphertext 68)
//   name key copy:    plaintext PKCS#8(N_priv) with its public point, 138 bytes (ciphertext 154):
//                     30818702…0420 ‖ d ‖ a144034200 ‖ 04 ‖ x ‖ y, as Chromium and Node export a new key
//   recipient  label                   salt       AAD fields (after the label)
//   device     parley/v1/device-key    userId     userId, consultId, deviceId
//   backup     parley/v1/backup        userId     userId, consultId
//   records    parley/v1/records       consultId  consultId, u32(n), keyId
//   a name key copy uses the label with "-name" appended, the same salt and AAD, except that the
//   records copy's AAD is consultId alone (a consult has one name key, with no epoch or key id).
// Sealing needs only the recipient's public key, so a box says nothing about who sealed it.
import { concat, equal, fromBase64Url, fromHex, readU32, toBase64Url, u32, uuidBytes, wipe, type Bytes } from "./bytes";
import { LABEL } from "./labels";
import { type ConsultKey } from "./consult-key";
import { SIZES } from "./primitives";
import { openBox, sealBox, type BoxContext, type BoxKey } from "./sealed-box";
import { ProtocolError, subtle } from "./subtle";

/** Who a copy is sealed to: one linked device of a person, the person's backup key, or the clinic's records key. */
export type CopyRecipient = { kind: "device"; userId: string; deviceId: string } | { kind: "backup"; userId: string } | { kind: "records" };

/** What a caller knows of a consult key before opening its copy (the server's KeyCopy row says it). */
export type CopyExpectation = { epoch?: number; keyId?: Uint8Array };

/** The fixed ephemeral key and iv of a test vector; real copies take fresh ones. */
export type FixedSeal = { ephemeral: CryptoKeyPair; iv: Uint8Array };

const P256_DH = { name: "ECDH", namedCurve: "P-256" } as const;
/** K_n ‖ keyId ‖ u32(n) */
export const CONSULT_KEY_COPY_BYTES = 32 + 16 + 4;
/** PKCS#8 of a P-256 private key with its curve and public point, as Chromium and Node export it. */
export const PKCS8_BYTES = 138;
// PKCS#8 { 0, { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey { 1, d, [1] publicKey } } }:
// 36 bytes up to d, d (32), 5 bytes up to the point, the uncompressed point (65).
const PKCS8_HEAD = fromHex("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420");
const PKCS8_MIDDLE = fromHex("a144034200");
// The same without the optional public key, so that WebCrypto computes the point from d.
const PKCS8_SCALAR_ONLY_HEAD = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");
/** An SPKI of P-256 ends with the 65-byte uncompressed point. */
const SPKI_POINT_AT = 91 - SIZES.point;

// ---- box keys as PKCS#8 (shared with the backup and the records sheet) ----

/**
 * The ECDH key pair of a private scalar d (32 bytes, 1 ≤ d < n), its public half computed by
 * WebCrypto. Extractable, so that it can be copied on; anything not a valid scalar is refused.
 */
export async function boxKeyFromScalar(d: Uint8Array): Promise<BoxKey> {
  if (d.length !== 32) throw new ProtocolError("a P-256 private scalar is 32 bytes");
  const pkcs8 = concat(PKCS8_SCALAR_ONLY_HEAD, d);
  try {
    const privateKey = await subtle().importKey("pkcs8", pkcs8, P256_DH, true, ["deriveBits"]);
    const jwk = await subtle().exportKey("jwk", privateKey);
    if (!jwk.x || !jwk.y) throw new ProtocolError("the key has no public point");
    const publicKey = await subtle().importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, P256_DH, true, []);
    return { privateKey, spki: new Uint8Array(await subtle().exportKey("spki", publicKey)) };
  } catch {
    throw new ProtocolError("not a valid P-256 private key");
  } finally {
    wipe(pkcs8);
  }
}

/** Splits a v1 PKCS#8 into d and its public point; any other layout is refused. */
function splitPkcs8(pkcs8: Uint8Array): { d: Bytes; point: Bytes } {
  const dAt = PKCS8_HEAD.length;
  const pointAt = dAt + 32 + PKCS8_MIDDLE.length;
  if (pkcs8.length !== PKCS8_BYTES || !equal(pkcs8.subarray(0, dAt), PKCS8_HEAD) || !equal(pkcs8.subarray(dAt + 32, pointAt), PKCS8_MIDDLE)) {
    throw new ProtocolError(`a private key travels as the ${PKCS8_BYTES}-byte PKCS#8 of a P-256 key with its public point`);
  }
  return { d: pkcs8.slice(dAt, dAt + 32), point: pkcs8.slice(pointAt) };
}

/**
 * The PKCS#8 a box key travels as, always the same 138-byte layout. It is built from the JWK export
 * (d, x, y), not taken from exportKey("pkcs8"): that one's layout depends on how the key was made
 * (in Node, a key imported without its public point exports without it, in 67 bytes), and on the
 * browser. For a generated key it is byte for byte what Chromium and Node export.
 */
export async function exportBoxKey(privateKey: CryptoKey): Promise<Bytes> {
  if (!privateKey.extractable) throw new ProtocolError("this key was made non-extractable and cannot be copied");
  const jwk = await subtle().exportKey("jwk", privateKey);
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.x || !jwk.y) throw new ProtocolError("not a P-256 private key");
  const [d, x, y] = [fromBase64Url(jwk.d), fromBase64Url(jwk.x), fromBase64Url(jwk.y)];
  try {
    if (d.length !== 32 || x.length !== 32 || y.length !== 32) throw new ProtocolError("not a P-256 private key");
    return concat(PKCS8_HEAD, d, PKCS8_MIDDLE, Uint8Array.of(0x04), x, y);
  } finally {
    wipe(d);
  }
}

/**
 * A box key from its PKCS#8. The key is rebuilt from d alone, and refused unless the point the
 * PKCS#8 carries is d's own, so the public half returned is the one the private half opens for.
 */
export async function importBoxKey(pkcs8: Uint8Array): Promise<BoxKey> {
  const { d, point } = splitPkcs8(pkcs8);
  try {
    const key = await boxKeyFromScalar(d);
    if (!equal(key.spki.subarray(SPKI_POINT_AT), point)) throw new ProtocolError("the private key's public point is not its own");
    return key;
  } finally {
    wipe(d);
  }
}

// ---- the contexts of §7.1's table ----

const consultLabel = { device: LABEL.deviceKey, backup: LABEL.backup, records: LABEL.records } as const;
const nameLabel = { device: LABEL.deviceKeyName, backup: LABEL.backupName, records: LABEL.recordsName } as const;

/** The AAD fields naming the recipient, after userId (device and backup copies). */
function personFields(to: CopyRecipient, consultId: string): Bytes[] {
  switch (to.kind) {
    case "device":
      return [uuidBytes(to.userId), uuidBytes(consultId), uuidBytes(to.deviceId)];
    case "backup":
      return [uuidBytes(to.userId), uuidBytes(consultId)];
    case "records":
      return [uuidBytes(consultId)];
  }
}

const boxSalt = (to: CopyRecipient, consultId: string): Bytes => uuidBytes(to.kind === "records" ? consultId : to.userId);

/** The box context of a consult key copy; a records copy binds the epoch and key id in its AAD. */
function consultKeyContext(to: CopyRecipient, consultId: string, epoch: number, keyId: Uint8Array): BoxContext {
  const aad = to.kind === "records" ? [uuidBytes(consultId), u32(epoch), keyId] : personFields(to, consultId);
  return { label: consultLabel[to.kind], salt: boxSalt(to, consultId), aad };
}

const nameKeyContext = (to: CopyRecipient, consultId: string): BoxContext => ({ label: nameLabel[to.kind], salt: boxSalt(to, consultId), aad: personFields(to, consultId) });

// ---- consult keys ----

function checkConsultKey(k: ConsultKey): void {
  if (k.key.length !== 32 || k.keyId.length !== 16 || !Number.isInteger(k.epoch) || k.epoch < 0 || k.epoch > 0xffffffff) throw new ProtocolError("malformed consult key");
}

/**
 * Seals consult key `key` of `consultId` to a recipient (its box key's SPKI). `fixed` is for the test
 * vectors only.
 */
export async function sealConsultKeyCopy(to: CopyRecipient, consultId: string, key: ConsultKey, recipientSpki: Uint8Array, fixed?: FixedSeal): Promise<Bytes> {
  checkConsultKey(key);
  const plain = concat(key.key, key.keyId, u32(key.epoch));
  try {
    return await sealBox(consultKeyContext(to, consultId, key.epoch, key.keyId), recipientSpki, plain, fixed);
  } finally {
    wipe(plain);
  }
}

/**
 * Opens a consult key copy. `expect` is what the server claimed of it (its KeyCopy row): a copy of
 * another epoch or key id is refused, so a server cannot pass an old key off as the current one. A
 * records copy binds both in its AAD and cannot be opened without them.
 */
export async function openConsultKeyCopy(to: CopyRecipient, consultId: string, box: Uint8Array, boxKey: BoxKey, expect: CopyExpectation = {}): Promise<ConsultKey> {
  if (expect.keyId && expect.keyId.length !== 16) throw new ProtocolError("a key id is 16 bytes");
  if (to.kind === "records" && (expect.epoch === undefined || expect.keyId === undefined)) throw new ProtocolError("a records copy opens only with the epoch and key id it was sealed for");
  const ctx = consultKeyContext(to, consultId, expect.epoch ?? 0, expect.keyId ?? new Uint8Array(16));
  const plain = await openBox(ctx, boxKey, box, CONSULT_KEY_COPY_BYTES + SIZES.tag);
  const k: ConsultKey = { key: plain.slice(0, 32), keyId: plain.slice(32, 48), epoch: readU32(plain.subarray(48, 52)) };
  wipe(plain);
  if (expect.epoch !== undefined && k.epoch !== expect.epoch) throw new ProtocolError(`this copy is of epoch ${k.epoch}, not epoch ${expect.epoch} as the server said`);
  if (expect.keyId && !equal(k.keyId, expect.keyId)) throw new ProtocolError(`this copy is of key ${toBase64Url(k.keyId)}, not the one the server named`);
  return k;
}

// ---- name keys ----

/** Seals the consult's name key N (its private half, which must be extractable) to a recipient. */
export async function sealNameKeyCopy(to: CopyRecipient, consultId: string, nameKey: CryptoKey, recipientSpki: Uint8Array, fixed?: FixedSeal): Promise<Bytes> {
  const plain = await exportBoxKey(nameKey);
  try {
    return await sealBox(nameKeyContext(to, consultId), recipientSpki, plain, fixed);
  } finally {
    wipe(plain);
  }
}

/** Opens a name key copy: N's private half (extractable, for deriveBits) and its SPKI. */
export async function openNameKeyCopy(to: CopyRecipient, consultId: string, box: Uint8Array, boxKey: BoxKey): Promise<BoxKey> {
  const plain = await openBox(nameKeyContext(to, consultId), boxKey, box, PKCS8_BYTES + SIZES.tag);
  try {
    return await importBoxKey(plain);
  } finally {
    wipe(plain);
  }
}
