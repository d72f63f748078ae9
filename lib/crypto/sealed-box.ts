// The sealed box (PROTOCOL §7.1): a secret sealed to an ECDH P-256 public key R, that only R's
// private half opens. One construction for every use; each use has its own label, salt and AAD
// fields, so a box made for one consult, person or device never opens for another.
//   k   = HKDF-SHA-256(ECDH(e, R), salt, info = enc(label, SPKI(e), SPKI(R)))
//   box = enc(SPKI(e), iv, AES-256-GCM(k, iv, plaintext, AAD = enc(label, aad fields…)))
import { equal, type Bytes } from "./bytes";
import { dec, enc } from "./encoding";
import { label as labelBytes, type Label } from "./labels";
import { ecdh, hkdf, importAeadKey, importEcdhSpki, open, seal, SIZES } from "./primitives";
import { ProtocolError, randomBytes, subtle } from "./subtle";

const SPKI_BYTES = 91;

export type BoxContext = {
  label: Label;
  /** 16 bytes naming the box's scope (a consult's or a person's id) */
  salt: Uint8Array;
  /** fields bound into the AAD after the label */
  aad: Uint8Array[];
};

/** A private key that opens boxes, with its public half. */
export type BoxKey = { privateKey: CryptoKey; spki: Uint8Array };

async function boxKey(shared: Uint8Array, ctx: BoxContext, eSpki: Uint8Array, rSpki: Uint8Array) {
  const raw = await hkdf(shared, ctx.salt, enc(labelBytes(ctx.label), eSpki, rSpki), SIZES.aesKey);
  try {
    return await importAeadKey(raw);
  } finally {
    raw.fill(0);
  }
}

const boxAad = (ctx: BoxContext) => enc(labelBytes(ctx.label), ...ctx.aad);

/**
 * Seals `plaintext` to R (its SPKI). `fixed` (an ephemeral key pair and iv) is for test vectors
 * only: each real box takes a fresh key and iv.
 */
export async function sealBox(ctx: BoxContext, rSpki: Uint8Array, plaintext: Uint8Array, fixed?: { ephemeral: CryptoKeyPair; iv: Uint8Array }): Promise<Bytes> {
  const r = await importEcdhSpki(rSpki);
  const e = fixed?.ephemeral ?? (await subtle().generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]));
  const eSpki = new Uint8Array(await subtle().exportKey("spki", e.publicKey));
  const shared = await ecdh(e.privateKey, r);
  const k = await boxKey(shared, ctx, eSpki, rSpki);
  shared.fill(0);
  const sealed = await seal(k, plaintext, boxAad(ctx), fixed?.iv ?? randomBytes(SIZES.iv));
  return enc(eSpki, sealed.iv, sealed.ciphertext);
}

/** Opens a box with R's private half; `ctLength` is the only ciphertext length this use allows. */
export async function openBox(ctx: BoxContext, key: BoxKey, box: Uint8Array, ctLength: number): Promise<Bytes> {
  const [eSpki, iv, ct] = dec(box, 3) as [Bytes, Bytes, Bytes];
  if (eSpki.length !== SPKI_BYTES || iv.length !== SIZES.iv || ct.length !== ctLength) throw new ProtocolError("a sealed box has fixed field sizes");
  if (equal(eSpki, key.spki)) throw new ProtocolError("the sealing key is the recipient's key itself");
  const shared = await ecdh(key.privateKey, await importEcdhSpki(eSpki));
  const k = await boxKey(shared, ctx, eSpki, key.spki);
  shared.fill(0);
  return open(k, iv, ct, boxAad(ctx));
}
