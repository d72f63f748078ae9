// The primitives, each a thin, strict wrapper over WebCrypto (PROTOCOL: ECDSA P-256 + SHA-256 with
// 64-byte r‖s signatures, ECDH P-256 with 65-byte uncompressed points, HKDF-SHA-256, AES-256-GCM
// with 96-bit IVs and 128-bit tags, SHA-256). Inputs of the wrong shape are refused before WebCrypto
// sees them; WebCrypto's own refusals (a point not on the curve, a bad tag) become ProtocolError.
import { type Bytes } from "./bytes";
import { ProtocolError, randomBytes, subtle } from "./subtle";

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const P256_DH = { name: "ECDH", namedCurve: "P-256" } as const;

export const SIZES = { point: 65, signature: 64, iv: 12, tag: 16, aesKey: 32, hash: 32 } as const;

export async function sha256(data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().digest("SHA-256", data as Bytes));
}

// ---- HKDF ----

/** HKDF-SHA-256 (RFC 5869) to `length` bytes (at most 255 × 32). */
export async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Bytes> {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new ProtocolError("HKDF output length out of range");
  const key = await subtle().importKey("raw", ikm as Bytes, "HKDF", false, ["deriveBits"]);
  const bits = await subtle().deriveBits({ name: "HKDF", hash: "SHA-256", salt: salt as Bytes, info: info as Bytes }, key, length * 8);
  return new Uint8Array(bits);
}

// ---- AES-256-GCM ----

export type AeadKey = CryptoKey & { readonly __aead?: never };

/** A 32-byte AES-256-GCM key; non-extractable unless asked. */
export async function importAeadKey(raw: Uint8Array, extractable = false): Promise<AeadKey> {
  if (raw.length !== SIZES.aesKey) throw new ProtocolError("an AES-256 key is 32 bytes");
  return subtle().importKey("raw", raw as Bytes, { name: "AES-GCM" }, extractable, ["encrypt", "decrypt"]);
}

export async function seal(key: AeadKey, plaintext: Uint8Array, aad: Uint8Array, iv: Uint8Array = randomBytes(SIZES.iv)): Promise<{ iv: Bytes; ciphertext: Bytes }> {
  if (iv.length !== SIZES.iv) throw new ProtocolError("the IV is 12 bytes");
  const ct = await subtle().encrypt({ name: "AES-GCM", iv: iv as Bytes, additionalData: aad as Bytes, tagLength: 128 }, key, plaintext as Bytes);
  return { iv: new Uint8Array(iv), ciphertext: new Uint8Array(ct) };
}

/** Decrypts and authenticates; any failure (wrong key, IV, AAD, a flipped bit) is a ProtocolError. */
export async function open(key: AeadKey, iv: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Bytes> {
  if (iv.length !== SIZES.iv) throw new ProtocolError("the IV is 12 bytes");
  if (ciphertext.length < SIZES.tag) throw new ProtocolError("ciphertext shorter than its tag");
  try {
    return new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv: iv as Bytes, additionalData: aad as Bytes, tagLength: 128 }, key, ciphertext as Bytes));
  } catch {
    throw new ProtocolError("decryption failed: the data was altered or the key is wrong");
  }
}

// ---- ECDSA P-256 (identity keys) ----

export type SigningKeyPair = { privateKey: CryptoKey; publicKey: CryptoKey; spki: Bytes };

/** A new identity key pair; the private key can never be exported. */
export async function generateSigningKey(): Promise<SigningKeyPair> {
  const pair = await subtle().generateKey(P256, false, ["sign", "verify"]);
  const spki = new Uint8Array(await subtle().exportKey("spki", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, spki };
}

/** Imports a peer's identity public key from SPKI; anything but a valid P-256 point is refused. */
export async function importVerifyKey(spki: Uint8Array): Promise<CryptoKey> {
  if (spki.length !== 91) throw new ProtocolError("a P-256 SPKI public key is 91 bytes");
  try {
    return await subtle().importKey("spki", spki as Bytes, P256, true, ["verify"]);
  } catch {
    throw new ProtocolError("not a valid P-256 public key");
  }
}

export async function signRaw(privateKey: CryptoKey, message: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, message as Bytes));
}

/** True only for a 64-byte r‖s signature that verifies; never throws on bad input. */
export async function verifyRaw(publicKey: CryptoKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== SIZES.signature) return false;
  try {
    return await subtle().verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, signature as Bytes, message as Bytes);
  } catch {
    return false;
  }
}

// ---- ECDH P-256 (ephemeral keys) ----

export type EphemeralKeyPair = { privateKey: CryptoKey; publicRaw: Bytes };

/** A new ephemeral ECDH key for one handshake; the private key can never be exported. */
export async function generateEphemeral(): Promise<EphemeralKeyPair> {
  const pair = await subtle().generateKey(P256_DH, false, ["deriveBits"]);
  return { privateKey: pair.privateKey, publicRaw: new Uint8Array(await subtle().exportKey("raw", pair.publicKey)) };
}

/** A peer's ephemeral key: exactly a 65-byte uncompressed point on P-256, else refused. */
export async function importPeerEphemeral(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== SIZES.point || raw[0] !== 0x04) throw new ProtocolError("an ephemeral key is a 65-byte uncompressed P-256 point");
  try {
    return await subtle().importKey("raw", raw as Bytes, P256_DH, true, []);
  } catch {
    throw new ProtocolError("the ephemeral key is not a point on P-256");
  }
}

/**
 * A long-lived ECDH P-256 key pair whose public half travels as SPKI (the sealed patient name's
 * key N, PROTOCOL §6). Extractable, so a person's other devices can be given it.
 */
export async function generateEcdhKey(): Promise<{ privateKey: CryptoKey; spki: Bytes }> {
  const pair = await subtle().generateKey(P256_DH, true, ["deriveBits"]);
  return { privateKey: pair.privateKey, spki: new Uint8Array(await subtle().exportKey("spki", pair.publicKey)) };
}

/** An ECDH public key from its 91-byte SPKI; anything but a point on P-256 is refused. */
export async function importEcdhSpki(spki: Uint8Array): Promise<CryptoKey> {
  if (spki.length !== 91) throw new ProtocolError("a P-256 SPKI public key is 91 bytes");
  try {
    return await subtle().importKey("spki", spki as Bytes, P256_DH, true, []);
  } catch {
    throw new ProtocolError("not a valid P-256 public key");
  }
}

/** The raw ECDH shared secret (32 bytes). Never used as a key itself: it goes through HKDF. */
export async function ecdh(privateKey: CryptoKey, peerPublic: CryptoKey): Promise<Bytes> {
  try {
    return new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: peerPublic }, privateKey, 256));
  } catch {
    throw new ProtocolError("key agreement failed");
  }
}
