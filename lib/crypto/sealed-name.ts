// The sealed patient name (PROTOCOL §6): the name a patient types at the join, sealed to the
// doctor's per-consult ECDH key N, so the server and the clinic's admin only ever hold ciphertext.
// A sealed box (sealed-box.ts) with label "parley/v1/name", salt consultId, AAD (consultId, inviteId):
//   padded = utf8(name) ‖ 0x80 ‖ zeros, to NAME_BLOCK bytes
//   sealed = enc(SPKI(e), iv, AES-256-GCM(k, iv, padded, AAD = enc("parley/v1/name", consultId, inviteId)))
// N's public half reaches the patient in the invite link's fragment (inviteFragment below), which a
// browser never sends to a server.
import { fromBase64Url, toBase64Url, utf8, uuidBytes, type Bytes } from "./bytes";
import { LABEL } from "./labels";
import { sha256, SIZES } from "./primitives";
import { openBox, sealBox, type BoxContext } from "./sealed-box";
import { ProtocolError } from "./subtle";

/** Every sealed name has the same length: the padded name is this many bytes. */
export const NAME_BLOCK = 256;
/** The longest name in UTF-8 (80 UTF-16 code units, the join form's limit, are at most 240 bytes). */
export const MAX_NAME_BYTES = 240;
const SPKI_BYTES = 91;
/** The fingerprint prefix in the link: the first 16 bytes of SHA-256(the doctor's identity SPKI). */
export const DOCTOR_ANCHOR_BYTES = 16;
/** enc(SPKI(e), iv, ct) in base64url: 3 length prefixes, 91 + 12 + NAME_BLOCK + 16 bytes. */
export const SEALED_NAME_CHARS = Math.ceil(((3 * 4 + SPKI_BYTES + SIZES.iv + NAME_BLOCK + SIZES.tag) * 4) / 3);

export type NameKey = { privateKey: CryptoKey; spki: Uint8Array };

export function padName(name: string): Bytes {
  const bytes = utf8(name.normalize("NFC"));
  if (bytes.length === 0) throw new ProtocolError("a name is not empty");
  if (bytes.length > MAX_NAME_BYTES) throw new ProtocolError(`a name is at most ${MAX_NAME_BYTES} UTF-8 bytes`);
  const out = new Uint8Array(NAME_BLOCK);
  out.set(bytes);
  out[bytes.length] = 0x80;
  return out;
}

export function unpadName(padded: Uint8Array): string {
  if (padded.length !== NAME_BLOCK) throw new ProtocolError("a padded name is exactly one block");
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 1 || padded[end] !== 0x80 || end > MAX_NAME_BYTES) throw new ProtocolError("bad name padding");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(padded.subarray(0, end));
  } catch {
    throw new ProtocolError("a name is UTF-8");
  }
}

const nameBox = (consultId: string, inviteId: string): BoxContext => ({ label: LABEL.name, salt: uuidBytes(consultId), aad: [uuidBytes(consultId), uuidBytes(inviteId)] });

/**
 * Seals `name` to the name key N (its SPKI) for one invite of one consult (a sealed box, §7.1).
 * `fixed` (an ephemeral key pair and iv) is for the test vectors only.
 */
export function sealName(name: string, nSpki: Uint8Array, consultId: string, inviteId: string, fixed?: { ephemeral: CryptoKeyPair; iv: Uint8Array }): Promise<Bytes> {
  return sealBox(nameBox(consultId, inviteId), nSpki, padName(name), fixed);
}

/** Opens a sealed name with N's private half; anything altered, or sealed to another key or invite, is refused. */
export async function openName(sealed: Uint8Array, nameKey: NameKey, consultId: string, inviteId: string): Promise<string> {
  return unpadName(await openBox(nameBox(consultId, inviteId), nameKey, sealed, NAME_BLOCK + SIZES.tag));
}

export const encodeSealedName = (sealed: Uint8Array): string => toBase64Url(sealed);
export const decodeSealedName = (text: string): Bytes => fromBase64Url(text);

/** What the invite link's fragment carries: N's public half, and the doctor's identity anchor. */
export type InviteFragment = { nameKey: Bytes; doctor: Bytes };

export function inviteFragment(f: { nameKey: Uint8Array; doctor: Uint8Array }): string {
  if (f.nameKey.length !== SPKI_BYTES || f.doctor.length !== DOCTOR_ANCHOR_BYTES) throw new ProtocolError("bad invite fragment fields");
  return `n=${toBase64Url(f.nameKey)}&f=${toBase64Url(f.doctor)}`;
}

/** The fragment of an invite link ("#n=…&f=…", with or without the "#"); undefined when absent or malformed. */
export function parseInviteFragment(hash: string): InviteFragment | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const n = params.get("n");
  const f = params.get("f");
  if (!n || !f) return undefined;
  try {
    const nameKey = fromBase64Url(n);
    const doctor = fromBase64Url(f);
    if (nameKey.length !== SPKI_BYTES || doctor.length !== DOCTOR_ANCHOR_BYTES) return undefined;
    return { nameKey, doctor };
  } catch {
    return undefined;
  }
}

/** The anchor `f` for a doctor's identity SPKI: the first 16 bytes of its fingerprint. */
export async function doctorAnchor(identitySpki: Uint8Array): Promise<Bytes> {
  return (await sha256(identitySpki)).slice(0, DOCTOR_ANCHOR_BYTES);
}
