// Keys from a verified handshake (PROTOCOL §2.5–2.6):
//   TH       = SHA-256(enc("parley/v1/th", hello_lo, hello_hi))   hellos in byte order
//   pairwise = HKDF-SHA-256(ikm = ECDH(e_self, e_peer), salt = TH, info = "parley/v1/pairwise"), 32 bytes
//   code     = HKDF-SHA-256(ikm = TH, salt = 32 zero bytes, info = "parley/v1/call-code"), 5 bytes:
//              its first 39 bits as three 13-bit numbers n, each shown as 1000 + n
import { compare, type Bytes } from "./bytes";
import { enc } from "./encoding";
import { LABEL, label } from "./labels";
import { ecdh, hkdf, importAeadKey, importPeerEphemeral, sha256, type AeadKey } from "./primitives";

export function transcriptHash(helloA: Uint8Array, helloB: Uint8Array): Promise<Bytes> {
  const [lo, hi] = compare(helloA, helloB) <= 0 ? [helloA, helloB] : [helloB, helloA];
  return sha256(enc(label(LABEL.transcript), lo, hi));
}

/** The raw 32 pairwise key bytes (exposed for test vectors); use pairwiseKey() in the app. */
export async function pairwiseKeyBytes(ephemeralPrivate: CryptoKey, peerEphemeral: Uint8Array, th: Uint8Array): Promise<Bytes> {
  const shared = await ecdh(ephemeralPrivate, await importPeerEphemeral(peerEphemeral));
  try {
    return await hkdf(shared, th, label(LABEL.pairwise), 32);
  } finally {
    shared.fill(0);
  }
}

/** The pairwise AES-256-GCM key, non-extractable. */
export async function pairwiseKey(ephemeralPrivate: CryptoKey, peerEphemeral: Uint8Array, th: Uint8Array): Promise<AeadKey> {
  const raw = await pairwiseKeyBytes(ephemeralPrivate, peerEphemeral, th);
  try {
    return await importAeadKey(raw);
  } finally {
    raw.fill(0);
  }
}

export type CallCode = { numbers: [number, number, number]; text: string };

/** The call code both people read aloud: 39 bits, "1234 5678 9012". */
export async function callCode(th: Uint8Array): Promise<CallCode> {
  const b = await hkdf(th, new Uint8Array(32), label(LABEL.callCode), 5);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  v >>= 1n; // 40 → 39 bits
  const n1 = Number((v >> 26n) & 0x1fffn) + 1000;
  const n2 = Number((v >> 13n) & 0x1fffn) + 1000;
  const n3 = Number(v & 0x1fffn) + 1000;
  return { numbers: [n1, n2, n3], text: `${n1} ${n2} ${n3}` };
}
