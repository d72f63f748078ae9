// Streaming file encryption (PROTOCOL §5): STREAM over AES-256-GCM.
//   DK, fileId  fresh random per upload attempt (32 and 16 bytes)
//   chunk i     = AES-256-GCM(DK, nonce_i, plaintext_i, AAD)      plaintext_i is chunkSize bytes, the last 0..chunkSize
//   nonce_i     = u88(i) ‖ last            11-byte big-endian counter, then 0x01 on the final chunk, else 0x00
//   AAD         = enc("parley/v1/chunk", consultId, fileId, u32(chunkSize))
//   M           = SHA-256(SHA-256(chunk_0) ‖ … ‖ SHA-256(chunk_n-1))   over the ciphertext chunks
// Exactly one final chunk; an empty file is one empty final chunk. A reader refuses a chunk that
// does not open (altered, swapped, from another file or key), data after the final chunk, an end
// before it, a chunk count, size or M that differs from the announcement. Both directions are
// TransformStreams holding at most two chunks, so memory does not grow with the file.
import { concat, equal, u32, type Bytes } from "./bytes";
import { enc } from "./encoding";
import { LABEL, label } from "./labels";
import { importAeadKey, open, seal, sha256, SIZES, type AeadKey } from "./primitives";
import { ProtocolError, randomBytes } from "./subtle";

export const MIN_CHUNK_SIZE = 64 * 1024;
/**
 * Chosen by measurement (`npm run bench -- --only chunk-size`, Chromium, 2026-11-22): AES-GCM plus
 * SHA-256 ran at 541–577 MiB/s with 256 KiB chunks against 342–414 (64 KiB), 363–370 (1 MiB),
 * 394–398 (2 MiB) and 378–383 (4 MiB); it is also small enough for a phone to hold two.
 */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;

export type FileKey = { key: Bytes; fileId: Bytes };

/** A fresh data key and file id: one per upload attempt, never reused. */
export function newFileKey(): FileKey {
  return { key: randomBytes(SIZES.aesKey), fileId: randomBytes(16) };
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new ProtocolError(`chunk size must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes`);
  }
}

/** How many chunks a file of `size` bytes has (an empty file has one, empty). */
export function chunkCount(size: number, chunkSize: number): number {
  return size === 0 ? 1 : Math.ceil(size / chunkSize);
}

/** The ciphertext size of a file of `size` bytes: each chunk carries a 16-byte tag. */
export function encryptedSize(size: number, chunkSize: number): number {
  return size + chunkCount(size, chunkSize) * SIZES.tag;
}

export function chunkNonce(index: number, last: boolean): Bytes {
  if (!Number.isSafeInteger(index) || index < 0) throw new ProtocolError("bad chunk index");
  const n = new Uint8Array(12);
  let v = index;
  for (let i = 10; i >= 0 && v > 0; i--) {
    n[i] = v % 256;
    v = Math.floor(v / 256);
  }
  n[11] = last ? 1 : 0;
  return n;
}

export function chunkAad(consultId: Uint8Array, fileId: Uint8Array, chunkSize: number): Bytes {
  if (consultId.length !== 16 || fileId.length !== 16) throw new ProtocolError("consult and file ids are 16 bytes");
  return enc(label(LABEL.chunk), consultId, fileId, u32(chunkSize));
}

export type FileContext = { key: Uint8Array; fileId: Uint8Array; consultId: Uint8Array; chunkSize: number };

/** What the sender announces (in the signed `file` chat message) once encryption is done. */
export type FileDigest = { size: number; chunkCount: number; hash: Bytes };

/** Collects the SHA-256 of each ciphertext chunk; M is the SHA-256 of their concatenation. */
class ChunkHashes {
  private readonly parts: Bytes[] = [];
  async add(chunk: Uint8Array): Promise<void> {
    this.parts.push(await sha256(chunk));
  }
  get count(): number {
    return this.parts.length;
  }
  digest(): Promise<Bytes> {
    return sha256(concat(...this.parts));
  }
}

/**
 * Re-cuts a byte stream into pieces of exactly `size` (the caller handles the rest at the end).
 * Pieces are cut into two buffers in turn: a piece stays intact while the next one is cut, and no
 * longer. (WebCrypto copies its input when called, so a piece needs to live only until its chunk's
 * work has been started and finished; a new buffer per piece was garbage for the collector.)
 */
class Cutter {
  private buf: Uint8Array[] = [];
  private held = 0;
  private readonly scratch: [Bytes, Bytes];
  private turn = 0;
  constructor(private readonly size: number) {
    this.scratch = [new Uint8Array(size), new Uint8Array(size)];
  }
  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.buf.push(b);
    this.held += b.length;
  }
  /**
   * A full piece, if one is held. Copies only that piece's bytes: browsers hand streams over in
   * reads of up to 2 MiB, and joining everything held for each piece copied a read about
   * (read / size) / 2 times over.
   */
  take(): Bytes | undefined {
    if (this.held < this.size) return undefined;
    const piece = this.scratch[this.turn] as Bytes;
    this.turn ^= 1;
    for (let at = 0; at < this.size; ) {
      const first = this.buf[0] as Uint8Array;
      const n = Math.min(first.length, this.size - at);
      piece.set(first.subarray(0, n), at);
      at += n;
      if (n === first.length) this.buf.shift();
      else this.buf[0] = first.subarray(n);
    }
    this.held -= this.size;
    return piece;
  }
  rest(): Bytes {
    const all = concat(...this.buf);
    this.buf = [];
    this.held = 0;
    return all;
  }
}

/**
 * A TransformStream that cuts its input into pieces of `size` and hands each to `handle` knowing
 * whether it is the last: a full piece is held back until more data (or the end) says so. At the
 * end the rest (possibly empty) is the last piece, unless it is empty and a full piece is held.
 */
function lastAwarePieces(size: number, handle: (piece: Bytes, last: boolean, out: TransformStreamDefaultController<Uint8Array>) => Promise<void>, finish: () => Promise<void>): TransformStream<Uint8Array, Uint8Array> {
  const cutter = new Cutter(size);
  let pending: Bytes | undefined;
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(piece, out) {
      cutter.push(piece);
      for (let full = cutter.take(); full; full = cutter.take()) {
        if (pending) await handle(pending, false, out);
        pending = full;
      }
    },
    async flush(out) {
      const rest = cutter.rest();
      if (pending && rest.length === 0) {
        await handle(pending, true, out);
      } else {
        if (pending) await handle(pending, false, out);
        await handle(rest, true, out);
      }
      await finish();
    },
  });
}

/**
 * Plaintext bytes in, ciphertext chunks out. `digest()` (after the stream ends) gives size, chunk
 * count and M for the announcement. A full chunk is held back until more data (or the end) shows
 * whether it is the final one.
 */
export function encryptFileStream(ctx: FileContext): { stream: TransformStream<Uint8Array, Uint8Array>; digest: () => FileDigest } {
  checkChunkSize(ctx.chunkSize);
  const aad = chunkAad(ctx.consultId, ctx.fileId, ctx.chunkSize);
  const hashes = new ChunkHashes();
  let key: AeadKey | undefined;
  let index = 0;
  let size = 0;
  let result: FileDigest | undefined;
  const stream = lastAwarePieces(
    ctx.chunkSize,
    async (plain, last, out) => {
      key ??= await importAeadKey(ctx.key);
      const { ciphertext } = await seal(key, plain, aad, chunkNonce(index, last));
      index++;
      size += plain.length;
      await hashes.add(ciphertext);
      out.enqueue(ciphertext);
    },
    async () => {
      result = { size, chunkCount: hashes.count, hash: await hashes.digest() };
    },
  );
  return {
    stream,
    digest: () => {
      if (!result) throw new ProtocolError("the file has not been read to its end");
      return result;
    },
  };
}

/**
 * Ciphertext bytes in (cut anyhow, e.g. as the network delivers them), plaintext out. Errors the
 * stream, never ending it normally, unless every chunk opened, the final one last, and the count,
 * size and M equal `expected`: a consumer that writes to disk must discard what it wrote on error.
 */
export function decryptFileStream(ctx: FileContext, expected: FileDigest): TransformStream<Uint8Array, Uint8Array> {
  checkChunkSize(ctx.chunkSize);
  const aad = chunkAad(ctx.consultId, ctx.fileId, ctx.chunkSize);
  const hashes = new ChunkHashes();
  let key: AeadKey | undefined;
  let index = 0;
  let size = 0;
  return lastAwarePieces(
    ctx.chunkSize + SIZES.tag,
    async (chunk, last, out) => {
      if (index >= expected.chunkCount) throw new ProtocolError("more chunks than the file has");
      key ??= await importAeadKey(ctx.key);
      const plain = await open(key, chunkNonce(index, last), chunk, aad); // refuses a chunk shorter than its tag
      index++;
      size += plain.length;
      await hashes.add(chunk);
      out.enqueue(plain);
    },
    async () => {
      if (index !== expected.chunkCount) throw new ProtocolError("the file has fewer chunks than announced");
      if (size !== expected.size) throw new ProtocolError("the file's size differs from the announcement");
      if (!equal(await hashes.digest(), expected.hash)) throw new ProtocolError("the file's hash differs from the announcement");
    },
  );
}
