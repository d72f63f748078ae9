// Device identity (PROTOCOL §1): an ECDSA P-256 key per browser profile that only signs. Its
// public half (SPKI) is what others pin; its fingerprint and the Signal-style safety number are
// how people compare keys away from a call.
import { equal, type Bytes } from "./bytes";
import { enc } from "./encoding";
import { LABEL, label, type Label } from "./labels";
import { importVerifyKey, sha256, signRaw, verifyRaw } from "./primitives";

/** Fingerprint = SHA-256(SPKI). */
export function fingerprint(spki: Uint8Array): Promise<Bytes> {
  return sha256(spki);
}

/** Signs enc(label, data): a signature made for one use can never be replayed as another. */
export function signLabeled(privateKey: CryptoKey, l: Label, data: Uint8Array): Promise<Bytes> {
  return signRaw(privateKey, enc(label(l), data));
}

export async function verifyLabeled(spki: Uint8Array, l: Label, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await importVerifyKey(spki);
  return verifyRaw(key, enc(label(l), data), signature);
}

/** One side's 30 digits: six 5-byte chunks of SHA-256(enc(label, SPKI)), each mod 10^5. */
async function safetyHalf(spki: Uint8Array): Promise<string> {
  const h = await sha256(enc(label(LABEL.safety), spki));
  let digits = "";
  for (let i = 0; i < 6; i++) {
    let v = 0n;
    for (const b of h.subarray(5 * i, 5 * i + 5)) v = (v << 8n) | BigInt(b);
    digits += (v % 100000n).toString().padStart(5, "0");
  }
  return digits;
}

/**
 * The safety number of two identity keys: both halves, sorted so both sides show the same 60
 * digits, in 12 groups of 5.
 */
export async function safetyNumber(spkiA: Uint8Array, spkiB: Uint8Array): Promise<string> {
  const halves = [await safetyHalf(spkiA), await safetyHalf(spkiB)].sort();
  return (halves.join("").match(/\d{5}/g) ?? []).join(" ");
}

/** Pinned keys: the key a device saw (or verified) for a counterpart, compared on every meeting. */
export type PinCheck = "new" | "same" | "changed";

export function checkPin(pinned: Uint8Array | undefined, seen: Uint8Array): PinCheck {
  if (!pinned) return "new";
  return equal(pinned, seen) ? "same" : "changed";
}
