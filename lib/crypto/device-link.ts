// Linking a second device of the same person (PROTOCOL §7.2).
//   box key:  each device's ECDH box key, signed by its identity:
//             sig = ECDSA(identity, enc("parley/v1/box-key", userId(16), deviceId(16), SPKI(box)(91))), 156 bytes signed
//   context:  the two devices run §2 over the link with consultId = SHA-256(enc("parley/v1/link-context", linkId))[0..16]
//             and a DTLS fingerprint of 32 zero bytes (no media), so a link's hello is never a consult's
//   grant:    A (the device that holds the keys) to B, once both confirmed the call code, under the pairwise key:
//             plaintext = u8 1 (format) ‖ u8 flags (bit 0: a backup key follows) ‖ SPKI(B_backup) or 91 zero bytes, 93 bytes
//             AAD       = enc("parley/v1/link", linkId, A's deviceId, B's deviceId)
// Every SPKI here is the 91-byte DER of an uncompressed P-256 point, byte for byte: the signature is
// over those bytes, so one key has one encoding.
import { equal, fromHex, uuidBytes, type Bytes } from "./bytes";
import { enc } from "./encoding";
import { LABEL, label } from "./labels";
import { importEcdhSpki, importVerifyKey, open, seal, sha256, signRaw, SIZES, verifyRaw, type AeadKey } from "./primitives";
import { ProtocolError, subtle } from "./subtle";

export const BOX_SPKI_BYTES = 91;
/** The link's stand-in for a consult id in the hellos of §2. */
export const LINK_CONTEXT_BYTES = 16;
/** u8 format ‖ u8 flags ‖ 91 bytes (a backup key's SPKI, or zeros). */
export const LINK_GRANT_BYTES = 2 + BOX_SPKI_BYTES;

// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 04 ‖ x ‖ y } }: 27 bytes up to x.
const P256_SPKI_HEAD = fromHex("3059301306072a8648ce3d020106082a8648ce3d03010703420004");
const GRANT_FORMAT = 1;
const GRANT_HAS_BACKUP = 1;

/** An id inside the protocol: a UUID as its 16 bytes, or a refusal. */
function idBytes(id: string, what: string): Bytes {
  try {
    return uuidBytes(id);
  } catch {
    throw new ProtocolError(`${what} is not a UUID`);
  }
}

/** Refuses anything but the 91-byte SPKI of a point on P-256. */
async function checkP256Spki(spki: Uint8Array, what: string): Promise<void> {
  if (spki.length !== BOX_SPKI_BYTES || !equal(spki.subarray(0, P256_SPKI_HEAD.length), P256_SPKI_HEAD)) throw new ProtocolError(`${what} is the 91-byte SPKI of a P-256 key`);
  await importEcdhSpki(spki);
}

const boxKeySigned = (userId: string, deviceId: string, boxSpki: Uint8Array): Bytes => enc(label(LABEL.boxKey), idBytes(userId, "the user id"), idBytes(deviceId, "the device id"), boxSpki);

// ---- the box key, signed by the identity ----

/** The device's identity signs its box key (SPKI) for this person and device: a 64-byte r‖s signature. */
export async function signBoxKey(identityPrivate: CryptoKey, userId: string, deviceId: string, boxSpki: Uint8Array): Promise<Bytes> {
  await checkP256Spki(boxSpki, "a box key");
  return signRaw(identityPrivate, boxKeySigned(userId, deviceId, boxSpki));
}

/**
 * True only if `signature` is the identity's signature of this box key for this person and device.
 * Any mismatch, malformed key, id or size is false; it never throws.
 */
export async function verifyBoxKey(identitySpki: Uint8Array, signature: Uint8Array, userId: string, deviceId: string, boxSpki: Uint8Array): Promise<boolean> {
  try {
    await checkP256Spki(boxSpki, "a box key");
    if (identitySpki.length !== BOX_SPKI_BYTES || !equal(identitySpki.subarray(0, P256_SPKI_HEAD.length), P256_SPKI_HEAD)) return false;
    return await verifyRaw(await importVerifyKey(identitySpki), boxKeySigned(userId, deviceId, boxSpki), signature);
  } catch {
    return false;
  }
}

// ---- the link's handshake ----

/** What a link's hellos carry as their consult id: 16 bytes no consult id can be taken for. */
export async function linkHelloContext(linkId: string): Promise<Bytes> {
  return (await sha256(enc(label(LABEL.linkContext), idBytes(linkId, "the link id")))).slice(0, LINK_CONTEXT_BYTES);
}

// ---- the grant, A to B under the pairwise key ----

/** The link and its direction: from the device that holds the keys (A) to the new one (B). */
export type LinkContext = { linkId: string; fromDeviceId: string; toDeviceId: string };
export type LinkGrant = { backupSpki?: Uint8Array };

function grantAad(ctx: LinkContext): Bytes {
  const from = idBytes(ctx.fromDeviceId, "the sending device id");
  const to = idBytes(ctx.toDeviceId, "the receiving device id");
  if (equal(from, to)) throw new ProtocolError("a device does not link to itself");
  return enc(label(LABEL.link), idBytes(ctx.linkId, "the link id"), from, to);
}

/**
 * Seals the grant to B under the pairwise key of the link's verified handshake. `iv` is for the test
 * vectors only: each real grant takes a fresh one.
 */
export async function sealLinkGrant(pairwise: AeadKey, ctx: LinkContext, grant: LinkGrant, iv?: Uint8Array): Promise<{ iv: Bytes; ciphertext: Bytes }> {
  const aad = grantAad(ctx);
  const plain = new Uint8Array(LINK_GRANT_BYTES);
  plain[0] = GRANT_FORMAT;
  if (grant.backupSpki) {
    await checkP256Spki(grant.backupSpki, "a backup key");
    plain[1] = GRANT_HAS_BACKUP;
    plain.set(grant.backupSpki, 2);
  }
  return seal(pairwise, plain, aad, iv);
}

/**
 * Opens a grant on B. A grant of another link, of the other direction, altered, of another size,
 * format or flags, or with bytes where none belong, is refused.
 */
export async function openLinkGrant(pairwise: AeadKey, ctx: LinkContext, iv: Uint8Array, ciphertext: Uint8Array): Promise<LinkGrant> {
  if (iv.length !== SIZES.iv || ciphertext.length !== LINK_GRANT_BYTES + SIZES.tag) throw new ProtocolError(`a link grant is ${LINK_GRANT_BYTES} bytes under a 12-byte iv`);
  const plain = await open(pairwise, iv, ciphertext, grantAad(ctx));
  if (plain[0] !== GRANT_FORMAT) throw new ProtocolError("not a link grant of format 1");
  const body = plain.slice(2);
  switch (plain[1]) {
    case 0:
      if (!equal(body, new Uint8Array(BOX_SPKI_BYTES))) throw new ProtocolError("bad link grant padding");
      return {};
    case GRANT_HAS_BACKUP:
      await checkP256Spki(body, "a backup key");
      return { backupSpki: body };
    default:
      throw new ProtocolError("unknown link grant flags");
  }
}

/** A device's new box key: ECDH P-256, the private half non-extractable (it only ever opens boxes here). */
export async function generateDeviceBoxKey(): Promise<{ privateKey: CryptoKey; spki: Bytes }> {
  const pair = await subtle().generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  return { privateKey: pair.privateKey, spki: new Uint8Array(await subtle().exportKey("spki", pair.publicKey)) };
}
