// The body of a chat message of kind `file` (PROTOCOL §5): everything a recipient needs to fetch,
// decrypt and check one document. It travels only inside a sealed, signed, chained message.
//   body = enc(u8 2, fileId, DK, utf8 name, utf8 type, u64 size, u32 chunkSize, u64 chunkCount, M)
// The leading byte is the notice format. Format 2 (the only one sent): the chunks hold the
// document padded to paddedFileSize(size) (file-padding.ts). Format 1, from senders before
// padding, is still read: its chunks hold exactly `size` bytes. Decoding is strict: field sizes, a
// chunk count that matches the sealed length, a name that is one harmless file name.
import { fromUtf8, readU32, readU64, u32, u64, utf8, type Bytes } from "./bytes";
import { dec, enc } from "./encoding";
import { sealedLength } from "./file-padding";
import { checkChunkSize, chunkCount } from "./file-stream";
import { ProtocolError } from "./subtle";

export type FileNotice = {
  /** 16 random bytes chosen per upload attempt; the File row's id on the server */
  fileId: Bytes;
  /** the data key DK, 32 bytes */
  key: Bytes;
  name: string;
  /** the media type as the sender's browser reported it ("" when unknown) */
  type: string;
  /** the document's plaintext bytes (without the padding) */
  size: number;
  chunkSize: number;
  chunkCount: number;
  /** M: SHA-256 over the SHA-256 of each ciphertext chunk */
  hash: Bytes;
  /**
   * Set only when decoding a notice of format 1, from a sender before documents were padded: its
   * chunks hold exactly `size` bytes. Absent (format 2), they hold paddedFileSize(size) bytes.
   */
  unpadded?: true;
};

/** The format senders write: the document padded (file-padding.ts). */
const FORMAT = 2;
/** The format before padding, still read. */
const FORMAT_UNPADDED = 1;
export const MAX_FILE_NAME_BYTES = 255;
const MAX_TYPE_BYTES = 127;

/**
 * A name that is safe to show and to save: no path (a separator would let a sender pick the
 * folder), no control characters, not "." or "..", at most 255 UTF-8 bytes. Anything else is
 * refused when decoding and cleaned before encoding.
 */
export function cleanFileName(name: string): string {
  let s = name
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f/\\]/g, "_")
    .trim();
  if (s === "" || s === "." || s === "..") s = "document";
  while (utf8(s).length > MAX_FILE_NAME_BYTES) s = Array.from(s).slice(0, -1).join("");
  return s;
}

function checkNotice(n: FileNotice): void {
  if (n.fileId.length !== 16) throw new ProtocolError("file notice: fileId must be 16 bytes");
  if (n.key.length !== 32) throw new ProtocolError("file notice: the key must be 32 bytes");
  if (n.hash.length !== 32) throw new ProtocolError("file notice: M must be 32 bytes");
  if (cleanFileName(n.name) !== n.name) throw new ProtocolError("file notice: not a plain file name");
  if (utf8(n.type).length > MAX_TYPE_BYTES || !/^[\x21-\x7e]*$/.test(n.type)) throw new ProtocolError("file notice: bad media type");
  if (!Number.isSafeInteger(n.size) || n.size < 0) throw new ProtocolError("file notice: bad size");
  checkChunkSize(n.chunkSize);
  if (n.chunkCount !== chunkCount(sealedLength(n), n.chunkSize)) throw new ProtocolError("file notice: chunk count does not match the size");
}

export function encodeFileNotice(n: FileNotice): Bytes {
  if (n.unpadded) throw new ProtocolError("file notice: only format 2 (padded) is sent");
  checkNotice(n);
  return enc(Uint8Array.of(FORMAT), n.fileId, n.key, utf8(n.name), utf8(n.type), u64(n.size), u32(n.chunkSize), u64(n.chunkCount), n.hash);
}

export function decodeFileNotice(body: Uint8Array): FileNotice {
  let f: Bytes[];
  let n: FileNotice;
  try {
    f = dec(body, 9);
    const [format, fileId, key, name, type, size, chunkSize, count, hash] = f as [Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes];
    if (format.length !== 1 || (format[0] !== FORMAT && format[0] !== FORMAT_UNPADDED)) throw new ProtocolError("file notice of an unknown format");
    if (size.length !== 8 || chunkSize.length !== 4 || count.length !== 8) throw new ProtocolError("file notice: bad integer field");
    const big = readU64(size);
    const bigCount = readU64(count);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || bigCount > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError("file notice: size out of range");
    n = { fileId, key, name: fromUtf8(name), type: fromUtf8(type), size: Number(big), chunkSize: readU32(chunkSize), chunkCount: Number(bigCount), hash };
    if (format[0] === FORMAT_UNPADDED) n.unpadded = true;
  } catch (err) {
    throw err instanceof ProtocolError ? err : new ProtocolError("malformed file notice");
  }
  checkNotice(n);
  return n;
}
