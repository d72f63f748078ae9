// Streaming file encryption (PROTOCOL §5): STREAM over AES-256-GCM.
//   DK, fileId  fresh random per upload attempt (32 and 16 bytes)
//   chunk i     = AES-256-GCM(DK, nonce_i, plaintext_i, AAD)      plaintext_i is chunkSize bytes, the last 0..chunkSize
//   nonce_i     = u88(i) ‖ last            11-byte big-endian counter, then 0x01 on the final chunk, else 0x00
//   AAD         = enc("parley/v1/chunk", consultId, fileId, u32(chunkSize))
//   M           = SHA-256(SHA-256(chunk_0) ‖ … ‖ SHA-256(chunk_n-1))   over the ciphertext chunks
// Exactly one final chunk; an empty file is one empty final chunk. A reader refuses a chunk that
// does not open (altered, swapped, from another file or key), data after the final chunk, an end
// before it, a chunk count, size or M that differs from the announcement. Both directions are
// TransformStreams holding at most two chunks, so memory does not grow with the file. This layer
// seals whatever plaintext stream it is given: a document is padded before (file-padding.ts).
import { concat, equal, u32, type Bytes } from "./bytes";
import { enc } from "./encoding";
import { LABEL, label } from "./labels";
import { importAeadKey, open, seal, sha256, SIZES, type AeadKey } from "./primitives";
import { ProtocolError, randomBytes } from "./subtle";

export const MIN_CHUNK_SIZE = 64 * 1024;
/**
 * Chosen by measurement (`npm run bench -- --only chunk-size`, Chromium): AES-GCM plus SHA-256 ran
 * fastest with 256 KiB chunks of the sizes PROTOCOL §5 allows (larger chunks fall out of the CPU
 * caches, smaller ones pay WebCrypto's per-call overhead; figures in docs/benchmarks.md); it is
 * also small enough for a phone to hold two.
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

/**
 * What sealing a stream gives for the announcement (the signed `file` chat message): the plaintext
 * length sealed (for a document, its padded length: file-padding.ts), the chunk count and M.
 */
export type FileDigest = { size: number; chunkCount: number; hash: Bytes };

/**
 * Collects the SHA-256 of each ciphertext chunk, in chunk order, as they are worked out (a chunk's
 * hash may be under way while later chunks are sealed); M is the SHA-256 of their concatenation.
 */
class ChunkHashes {
  private readonly parts: Promise<Bytes>[] = [];
  /** `hash`: the chunk's SHA-256 under way */
  add(hash: Promise<Bytes>): void {
    hash.catch(() => undefined); // the chunk's own failure is reported where it is awaited in turn
    this.parts.push(hash);
  }
  get count(): number {
    return this.parts.length;
  }
  async digest(): Promise<Bytes> {
    return sha256(concat(...(await Promise.all(this.parts))));
  }
}

/**
 * Chunks whose crypto is under way, at most `size` at once, handed on in their order. Calling
 * WebCrypto for the next chunk before the previous one is back keeps its thread busy while this
 * one cuts, copies and sends (one chunk at a time left each idle half the time). WebCrypto copies
 * its input when called, so a piece can be reused as soon as its call is made.
 */
export const CHUNKS_IN_FLIGHT = 4;
class InOrder {
  private readonly queue: Promise<Bytes>[] = [];
  constructor(private readonly size: number) {}
  async push(chunk: Promise<Bytes>, out: TransformStreamDefaultController<Uint8Array>): Promise<void> {
    chunk.catch(() => undefined); // awaited below in turn; a later chunk may fail before it
    this.queue.push(chunk);
    while (this.queue.length >= this.size) out.enqueue(await this.queue.shift());
  }
  async drain(out: TransformStreamDefaultController<Uint8Array>): Promise<void> {
    while (this.queue.length > 0) out.enqueue(await this.queue.shift());
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
    for (let at = 0; at < this.size;) {
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
function lastAwarePieces(
  size: number,
  handle: (piece: Bytes, last: boolean, out: TransformStreamDefaultController<Uint8Array>) => Promise<void>,
  finish: (out: TransformStreamDefaultController<Uint8Array>) => Promise<void>,
): TransformStream<Uint8Array, Uint8Array> {
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
      await finish(out);
    },
  });
}

/**
 * Seals one file's chunks in order (the nonce counter lives here, so no index is ever sealed
 * twice). `seal` starts WebCrypto at once, which copies the plaintext then: the caller may reuse
 * its buffer as soon as `seal` returns, and may start the next chunk before this one is back.
 */
export class FileSealer {
  private readonly hashes = new ChunkHashes();
  private index = 0;
  private size = 0;
  private ended = false;

  private constructor(
    private readonly ctx: FileContext,
    private readonly key: AeadKey,
    private readonly aad: Bytes,
  ) {}

  static async create(ctx: FileContext): Promise<FileSealer> {
    checkChunkSize(ctx.chunkSize);
    return new FileSealer(ctx, await importAeadKey(ctx.key), chunkAad(ctx.consultId, ctx.fileId, ctx.chunkSize));
  }

  /**
   * The next chunk's ciphertext; every chunk but the last holds exactly chunkSize bytes. The
   * chunk's SHA-256 is started (WebCrypto copies its input then) before the returned promise's
   * other callbacks run, so whoever receives the chunk may overwrite or free it.
   */
  seal(plain: Uint8Array, last: boolean): Promise<Bytes> {
    if (this.ended) throw new ProtocolError("the file's final chunk has been sealed");
    if (plain.length > this.ctx.chunkSize || (!last && plain.length !== this.ctx.chunkSize)) throw new ProtocolError("only the final chunk may be shorter than the chunk size");
    const chunk = seal(this.key, plain, this.aad, chunkNonce(this.index, last)).then((s) => s.ciphertext);
    this.hashes.add(chunk.then(sha256));
    this.index++;
    this.size += plain.length;
    this.ended = last;
    return chunk;
  }

  /** Size, chunk count and M for the announcement, once the final chunk is sealed. */
  async digest(): Promise<FileDigest> {
    if (!this.ended) throw new ProtocolError("the file has not been read to its end");
    return { size: this.size, chunkCount: this.hashes.count, hash: await this.hashes.digest() };
  }
}

/**
 * Sealed chunks, in order, of plaintext pieces (each exactly chunkSize but the last), with up to
 * CHUNKS_IN_FLIGHT under way at once. A piece may be a view of a buffer the source fills again
 * once it is asked for the next piece.
 */
export async function* sealPieces(sealer: FileSealer, pieces: AsyncIterable<{ piece: Uint8Array; last: boolean }>): AsyncGenerator<Bytes> {
  const queue: Promise<Bytes>[] = [];
  try {
    for await (const { piece, last } of pieces) {
      const chunk = sealer.seal(piece, last);
      chunk.catch(() => undefined); // awaited below in turn; a later chunk may fail before it
      queue.push(chunk);
      if (queue.length >= CHUNKS_IN_FLIGHT) yield await (queue.shift() as Promise<Bytes>);
    }
    while (queue.length > 0) yield await (queue.shift() as Promise<Bytes>);
  } finally {
    queue.length = 0;
  }
}

/**
 * Plaintext bytes in, ciphertext chunks out. `digest()` (after the stream ends) gives size, chunk
 * count and M for the announcement. A full chunk is held back until more data (or the end) shows
 * whether it is the final one.
 */
export function encryptFileStream(ctx: FileContext): { stream: TransformStream<Uint8Array, Uint8Array>; digest: () => FileDigest } {
  checkChunkSize(ctx.chunkSize);
  const sealed = new InOrder(CHUNKS_IN_FLIGHT);
  let sealer: FileSealer | undefined;
  let result: FileDigest | undefined;
  const stream = lastAwarePieces(
    ctx.chunkSize,
    async (plain, last, out) => {
      sealer ??= await FileSealer.create(ctx);
      await sealed.push(sealer.seal(plain, last), out);
    },
    async (out) => {
      await sealed.drain(out);
      if (!sealer) throw new ProtocolError("the file ended without its final chunk"); // the final chunk is always handled
      result = await sealer.digest();
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
  const opened = new InOrder(CHUNKS_IN_FLIGHT);
  let key: AeadKey | undefined;
  let index = 0;
  let size = 0;
  return lastAwarePieces(
    ctx.chunkSize + SIZES.tag,
    async (chunk, last, out) => {
      if (index >= expected.chunkCount) throw new ProtocolError("more chunks than the file has");
      key ??= await importAeadKey(ctx.key);
      // Both calls copy `chunk` now: the piece's buffer is cut into again two chunks later.
      const plain = open(key, chunkNonce(index, last), chunk, aad); // refuses a chunk shorter than its tag
      hashes.add(sha256(chunk));
      index++;
      size += chunk.length - SIZES.tag;
      await opened.push(plain, out);
    },
    async (out) => {
      await opened.drain(out);
      if (index !== expected.chunkCount) throw new ProtocolError("the file has fewer chunks than announced");
      if (size !== expected.size) throw new ProtocolError("the file's size differs from the announcement");
      if (!equal(await hashes.digest(), expected.hash)) throw new ProtocolError("the file's hash differs from the announcement");
    },
  );
}
