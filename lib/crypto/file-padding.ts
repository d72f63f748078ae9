// Document padding (PROTOCOL §5, notice format 2): the plaintext that is sealed into chunks is
// the document's bytes, then zeros up to paddedFileSize(size) = Padmé(max(size, 4 KiB)) bytes, so
// the server, which sees only the ciphertext's length, learns the size's Padmé bucket and not the
// size. The notice still carries the real size. The sender appends the zeros piece by piece
// (padPieces: memory does not grow with the padding); the reader hands on the first `size` bytes
// and refuses the document unless every byte after them is zero and the stream is exactly the
// padded length (withoutPadding). Notices of format 1, from before padding, are read as they were.
import type { FileNotice } from "./file-notice";
import { checkChunkSize, decryptFileStream, type FileContext } from "./file-stream";
import { padme } from "./padme";
import { ProtocolError } from "./subtle";

/**
 * Documents shorter than this are padded to it, so none of them is told from another by its size
 * (Padmé alone rounds a length under 4 KiB up by less than 128 bytes). It is the message padding's
 * third bucket (§4) and costs at most 4 KiB per document. Part of format 2: readers check it.
 */
export const MIN_PADDED_FILE_BYTES = 4096;

/** How many bytes a document of `size` bytes is padded to (notice format 2). */
export function paddedFileSize(size: number): number {
  return Math.max(padme(size), MIN_PADDED_FILE_BYTES);
}

/** How many plaintext bytes a notice's chunks hold: the padded size, or for format 1 (`unpadded`) the size. */
export function sealedLength(n: Pick<FileNotice, "size" | "unpadded">): number {
  return n.unpadded ? n.size : paddedFileSize(n.size);
}

type Piece = { piece: Uint8Array; last: boolean };

/**
 * The pieces of a document of `size` bytes (each `chunkSize` but the last, as FileSealer takes
 * them), then its padding: the last piece is copied and filled up with zeros to a whole chunk (or
 * to the padded end), then chunks of zeros follow, one zero buffer handed out again and again
 * (FileSealer never writes to a piece). Refuses pieces that do not add up to `size` bytes.
 */
export async function* padPieces(pieces: AsyncIterable<Piece> | Iterable<Piece>, size: number, chunkSize: number): AsyncGenerator<Piece> {
  checkChunkSize(chunkSize);
  const length = paddedFileSize(size);
  let read = 0;
  let tail: { start: number; bytes: Uint8Array } | undefined;
  for await (const { piece, last } of pieces) {
    if (tail) throw new ProtocolError("the document went on after its last piece");
    if (piece.length > chunkSize || (!last && piece.length !== chunkSize)) throw new ProtocolError("only the final chunk may be shorter than the chunk size");
    if (read + piece.length > size) throw new ProtocolError("the document is longer than its size");
    if (last) {
      // A copy: the source may fill the piece's buffer again when asked whether anything follows.
      tail = { start: read, bytes: new Uint8Array(Math.min(chunkSize, length - read)) };
      tail.bytes.set(piece);
    } else yield { piece, last };
    read += piece.length;
  }
  if (!tail || read !== size) throw new ProtocolError("the document is shorter than its size");
  let at = tail.start + tail.bytes.length;
  yield { piece: tail.bytes, last: at === length };
  const zeros = new Uint8Array(Math.min(chunkSize, length - at));
  while (at < length) {
    const n = Math.min(chunkSize, length - at);
    at += n;
    yield { piece: zeros.subarray(0, n), last: at === length };
  }
}

function isZero(bytes: Uint8Array): boolean {
  let any = 0;
  for (const b of bytes) any |= b;
  return any === 0;
}

/**
 * The padded plaintext of a document of `size` bytes in, its first `size` bytes out. Errors the
 * stream if a byte after them is not zero or the stream is not exactly paddedFileSize(size) long.
 */
export function withoutPadding(size: number): TransformStream<Uint8Array, Uint8Array> {
  const length = paddedFileSize(size);
  let at = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, out) {
      const keep = Math.min(chunk.length, Math.max(0, size - at));
      at += chunk.length;
      if (at > length) throw new ProtocolError("the document is longer than its padded size");
      if (!isZero(chunk.subarray(keep))) throw new ProtocolError("the document's padding is not zeros");
      if (keep > 0) out.enqueue(keep === chunk.length ? chunk : chunk.subarray(0, keep));
    },
    flush() {
      if (at !== length) throw new ProtocolError("the document is shorter than its padded size");
    },
  });
}

/**
 * Ciphertext in, the document's own bytes out: decryptFileStream opens every chunk and checks the
 * chunk count, the sealed length and M against the notice, then (format 2) withoutPadding checks
 * and drops the padding. Errors, never ending normally, on any failure: a consumer that writes to
 * disk must discard what it wrote on error.
 */
export function decryptDocumentStream(
  ctx: FileContext,
  n: Pick<FileNotice, "size" | "chunkCount" | "hash" | "unpadded">,
): { writable: WritableStream<Uint8Array>; readable: ReadableStream<Uint8Array> } {
  const decrypt = decryptFileStream(ctx, { size: sealedLength(n), chunkCount: n.chunkCount, hash: n.hash });
  if (n.unpadded) return decrypt;
  return { writable: decrypt.writable, readable: decrypt.readable.pipeThrough(withoutPadding(n.size)) };
}
