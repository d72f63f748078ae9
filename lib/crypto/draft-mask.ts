// Masking a message in the click that sends it (docs/protocol.md §4 "Unsealed drafts"). Sealing
// is asynchronous (WebCrypto, IndexedDB), so between Send and the sealed copy in the outbox the
// message would exist only in memory, and a reload would lose it. The tab keeps it meanwhile in its
// session storage, masked: XORed with an AES-256-CTR keystream made ahead of time under a device key
// that stays in IndexedDB. XOR is the one step that can run synchronously; the keystream is
// AES-CTR's own (NIST SP 800-38A), so masked data is exactly AES-256-CTR ciphertext.
//
// Counter block: a random 12-byte nonce per page, then a 32-bit big-endian block number. A page
// never hands out a block twice; its nonce is new on every load. The mask hides the text from
// whoever reads the tab's storage without the device key; it does not authenticate it (anyone who
// can write the tab's storage can write the device's keys too).
import type { Bytes } from "./bytes";
import { subtle } from "./subtle";

export const DRAFT_NONCE_BYTES = 12;
export const CTR_BLOCK_BYTES = 16;

/** The counter block of block number `block` (0 … 2³²−1) under `nonce`. */
export function draftCounter(nonce: Uint8Array, block: number): Bytes {
  if (nonce.length !== DRAFT_NONCE_BYTES) throw new RangeError(`a draft nonce has ${DRAFT_NONCE_BYTES} bytes`);
  if (!Number.isInteger(block) || block < 0 || block > 0xffff_ffff) throw new RangeError("block number out of range");
  const counter = new Uint8Array(CTR_BLOCK_BYTES);
  counter.set(nonce);
  new DataView(counter.buffer).setUint32(DRAFT_NONCE_BYTES, block);
  return counter;
}

/** A new non-extractable AES-256-CTR key for masking drafts. */
export function generateDraftKey(): Promise<CryptoKey> {
  return subtle().generateKey({ name: "AES-CTR", length: 256 }, false, ["encrypt"]);
}

/**
 * `bytes` of keystream from `counter` on (the low 32 bits count; a stretch must not wrap them).
 * With a whole number of blocks, this is AES-CTR encryption of zeros.
 */
export async function ctrKeystream(key: CryptoKey, counter: Uint8Array, bytes: number): Promise<Bytes> {
  if (counter.length !== CTR_BLOCK_BYTES) throw new RangeError(`a counter block has ${CTR_BLOCK_BYTES} bytes`);
  const low = new DataView(counter.buffer, counter.byteOffset, counter.byteLength).getUint32(12);
  if (low + Math.ceil(bytes / CTR_BLOCK_BYTES) > 0x1_0000_0000) throw new RangeError("the keystream would wrap its counter");
  const stream = await subtle().encrypt({ name: "AES-CTR", counter: new Uint8Array(counter), length: 32 }, key, new Uint8Array(bytes));
  return new Uint8Array(stream);
}

/** `data` XOR `stream[at … at + data.length)`: masks, and unmasks what it masked. Synchronous. */
export function xorKeystream(data: Uint8Array, stream: Uint8Array, at = 0): Bytes {
  if (at < 0 || at + data.length > stream.length) throw new RangeError("not enough keystream");
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ stream[at + i]!;
  return out;
}

/** Whole blocks needed for `bytes` bytes. */
export const blocksFor = (bytes: number): number => Math.ceil(bytes / CTR_BLOCK_BYTES);
