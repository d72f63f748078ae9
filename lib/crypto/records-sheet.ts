// The clinic's records key R and its recovery sheet (PROTOCOL §7.4). R's private scalar d is shown
// once, as 24 words to print, and never reaches the server:
//   d           = 32 random bytes with 1 ≤ d < n (P-256's group order)
//   words       = BIP-39 English (d ‖ the first 8 bits of SHA-256(d)), 11 bits a word → 24 words
//   R           = the ECDH P-256 key of d
//   fingerprint = hex(SHA-256(SPKI(R_pub))[0..16]) in groups of 4, printed with the words
// Typing the words back gives d, and so R, which opens the records copies (key-copies.ts).
import { entropyToMnemonic, mnemonicToEntropy } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { equal, toHex, wipe, type Bytes } from "./bytes";
import { boxKeyFromScalar } from "./key-copies";
import { sha256 } from "./primitives";
import { type BoxKey } from "./sealed-box";
import { ProtocolError, randomBytes } from "./subtle";

/** The order n of P-256's group: a private scalar is 1 ≤ d < n. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const SHEET_WORDS = 24;
const FINGERPRINT_BYTES = 16;

/** True for 32 bytes that are a P-256 private scalar. */
export function isRecordsScalar(d: Uint8Array): boolean {
  if (d.length !== 32) return false;
  const v = BigInt(`0x${toHex(d)}`);
  return v >= 1n && v < P256_ORDER;
}

/** A new records key's d: 32 random bytes, drawn again in the (about 2^-32) case they are not below n. */
export function newRecordsScalar(): Bytes {
  for (;;) {
    const d = randomBytes(32);
    if (isRecordsScalar(d)) return d;
    wipe(d);
  }
}

/** The sheet's 24 words for d, in order. */
export function sheetWords(d: Uint8Array): string[] {
  if (!isRecordsScalar(d)) throw new ProtocolError("not a records key's private scalar");
  return entropyToMnemonic(d, wordlist).split(" ");
}

/** The words as typed: lower case, any spacing or line breaks, and the sheet's numbers ("1." or "1)") if copied with them. */
function typedWords(text: string): string[] {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== "" && !/^\d+[.):]?$/.test(w));
}

/**
 * d from the sheet's words. Refusals say what to fix: how many words there should be, which word is
 * not on the list, or that the checksum fails (one word is wrong, or two are swapped). The 8-bit
 * checksum lets about one mistake in 256 through: compare the key's fingerprint with the sheet's
 * (openRecordsSheet does).
 */
export function scalarFromWords(text: string): Bytes {
  const words = typedWords(text);
  if (words.length !== SHEET_WORDS) throw new ProtocolError(`the recovery sheet has ${SHEET_WORDS} words; ${words.length} were typed`);
  const unknown = words.findIndex((w) => !wordlist.includes(w));
  if (unknown >= 0) throw new ProtocolError(`word ${unknown + 1}, “${words[unknown]}”, is not a word of the recovery sheet: check its spelling`);
  let d: Bytes;
  try {
    d = new Uint8Array(mnemonicToEntropy(words.join(" "), wordlist));
  } catch {
    throw new ProtocolError("the words do not check out: one is wrong or two are swapped");
  }
  if (!isRecordsScalar(d)) throw new ProtocolError("these words are not a records key");
  return d;
}

/** The records key R of d (extractable, for deriveBits) with its SPKI. */
export async function recordsKeyFromScalar(d: Uint8Array): Promise<BoxKey> {
  if (!isRecordsScalar(d)) throw new ProtocolError("not a records key's private scalar");
  return boxKeyFromScalar(d);
}

/** R's fingerprint for the sheet and the admin page: the first 16 bytes of SHA-256(SPKI) in hex, in groups of 4. */
export async function recordsFingerprint(spki: Uint8Array): Promise<string> {
  if (spki.length !== 91) throw new ProtocolError("a P-256 SPKI public key is 91 bytes");
  const hex = toHex((await sha256(spki)).subarray(0, FINGERPRINT_BYTES));
  return hex.match(/.{4}/g)?.join(" ") ?? hex;
}

/** A new records key: R, with the sheet to print (its words and fingerprint). d lives on only in the words. */
export async function newRecordsKey(): Promise<{ key: BoxKey; words: string[]; fingerprint: string }> {
  const d = newRecordsScalar();
  try {
    const key = await recordsKeyFromScalar(d);
    return { key, words: sheetWords(d), fingerprint: await recordsFingerprint(key.spki) };
  } finally {
    wipe(d);
  }
}

/** R from typed words, refused unless it is the records key on record (its SPKI, from the server). */
export async function openRecordsSheet(text: string, expectedSpki: Uint8Array): Promise<BoxKey> {
  const d = scalarFromWords(text);
  try {
    const key = await recordsKeyFromScalar(d);
    if (!equal(key.spki, expectedSpki)) throw new ProtocolError(`these words are for another records key (fingerprint ${await recordsFingerprint(key.spki)}): check each word against the sheet`);
    return key;
  } finally {
    wipe(d);
  }
}
