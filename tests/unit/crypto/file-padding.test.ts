// Padded documents (lib/crypto/file-padding.ts, PROTOCOL §5, notice format 2): sealed through
// padPieces and opened through decryptDocumentStream they come back byte for byte, and the stored
// ciphertext has the padded length; the padding is handed out in chunk-sized pieces of one buffer;
// a reader refuses padding that is not zeros and a stream shorter or longer than the padded size,
// even when the sender's own key sealed it; a format 1 (unpadded) stream still opens. Then the
// fixed vectors (tests/vectors/parley-v1-padded-files.json), each chunk checked against node:crypto.
import { createDecipheriv, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  chunkAad,
  chunkCount,
  chunkNonce,
  decodeFileNotice,
  decryptDocumentStream,
  decryptFileStream,
  encryptedSize,
  FileSealer,
  fromHex,
  newFileKey,
  padPieces,
  paddedFileSize,
  ProtocolError,
  randomBytes,
  sealPieces,
  toHex,
  withoutPadding,
  type FileContext,
  type FileDigest,
} from "@/lib/crypto";
import { readPieces } from "@/lib/client/files/read-pieces";

const CHUNK = 64 * 1024;
type Piece = { piece: Uint8Array; last: boolean };

const plaintextOf = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);
const join = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** `bytes` in pieces of `chunkSize` (the last shorter; nothing is one empty piece), as read-pieces.ts gives a file. */
function* piecesOf(bytes: Uint8Array, chunkSize = CHUNK): Generator<Piece> {
  for (let at = 0; ; at += chunkSize) {
    const last = at + chunkSize >= bytes.length;
    yield { piece: bytes.subarray(at, at + chunkSize), last };
    if (last) return;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}

function context(): FileContext {
  const fk = newFileKey();
  return { key: fk.key, fileId: fk.fileId, consultId: randomBytes(16), chunkSize: CHUNK };
}

/** Seals plaintext pieces as the upload does (FileSealer, sealPieces). */
async function seal(ctx: FileContext, pieces: AsyncIterable<Piece>): Promise<{ chunks: Uint8Array[]; digest: FileDigest }> {
  const sealer = await FileSealer.create(ctx);
  const chunks = await collect(sealPieces(sealer, pieces));
  return { chunks, digest: await sealer.digest() };
}

/** Seals plaintext pieces as they are, unpadded: streams a sender's own key made, which a reader must refuse. */
async function sealAsIs(ctx: FileContext, pieces: Iterable<Piece>): Promise<{ chunks: Uint8Array[]; digest: FileDigest }> {
  const sealer = await FileSealer.create(ctx);
  const chunks: Uint8Array[] = [];
  for (const { piece, last } of pieces) chunks.push(await sealer.seal(piece, last));
  return { chunks, digest: await sealer.digest() };
}

/** Feeds the ciphertext through `pair` in pieces of random sizes, as the network delivers it. */
async function through(pair: ReadableWritablePair<Uint8Array, Uint8Array>, bytes: Uint8Array): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      for (let at = 0; at < bytes.length;) {
        const n = 1 + Math.floor(Math.random() * 50_000);
        c.enqueue(bytes.slice(at, at + n));
        at += n;
      }
      c.close();
    },
  });
  await input.pipeThrough(pair).pipeTo(new WritableStream({ write: (chunk) => void out.push(chunk) }));
  return join(out);
}

type Announced = { size: number; chunkCount: number; hash: Uint8Array<ArrayBuffer>; unpadded?: true };
const announced = (size: number, d: FileDigest): Announced => ({ size, chunkCount: d.chunkCount, hash: d.hash });
const open = (ctx: FileContext, n: Announced, ciphertext: Uint8Array) => through(decryptDocumentStream(ctx, n), ciphertext);

/** Opens each chunk with node:crypto's AES-GCM (an independent implementation): the padded plaintext. */
function openWithNode(ctx: FileContext, chunks: Uint8Array[]): Uint8Array {
  const aad = chunkAad(ctx.consultId, ctx.fileId, ctx.chunkSize);
  return join(
    chunks.map((c, i) => {
      const d = createDecipheriv("aes-256-gcm", ctx.key, chunkNonce(i, i === chunks.length - 1));
      d.setAAD(aad);
      d.setAuthTag(c.subarray(c.length - 16));
      return Buffer.concat([d.update(c.subarray(0, c.length - 16)), d.final()]);
    }),
  );
}

/** `p` fails with a ProtocolError whose message says `why`. */
async function refused(p: Promise<unknown>, why: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).message).toMatch(why);
}

describe("round trips", () => {
  for (const size of [0, 1, 4095, 4096, 65537, 200_000]) {
    it(`${size} bytes: sealed padded to ${paddedFileSize(size)}, opened to exactly the document`, async () => {
      const ctx = context();
      const plain = plaintextOf(size);
      const { chunks, digest } = await seal(ctx, padPieces(piecesOf(plain), size, CHUNK));
      const padded = paddedFileSize(size);
      expect(digest).toMatchObject({ size: padded, chunkCount: chunkCount(padded, CHUNK) });
      expect(join(chunks).length).toBe(encryptedSize(padded, CHUNK));
      const inside = openWithNode(ctx, chunks);
      expect(inside.length).toBe(padded);
      expect(toHex(inside.subarray(0, size))).toBe(toHex(plain));
      expect(inside.subarray(size).every((b) => b === 0)).toBe(true);
      expect(toHex(await open(ctx, announced(size, digest), join(chunks)))).toBe(toHex(plain));
    });
  }

  it("as the upload reads a file (read-pieces.ts, one buffer filled again for every piece), then pads and seals it", async () => {
    for (const size of [0, 4095, 200_000]) {
      const ctx = context();
      const plain = plaintextOf(size);
      const file = new Blob([plain]);
      const { chunks, digest } = await seal(ctx, padPieces(readPieces(file, CHUNK), file.size, CHUNK));
      expect(join(chunks).length).toBe(encryptedSize(paddedFileSize(size), CHUNK));
      expect(toHex(await open(ctx, announced(size, digest), join(chunks)))).toBe(toHex(plain));
    }
  });

  it("a notice of format 1 (unpadded) still opens its exact-size stream", async () => {
    const ctx = context();
    const plain = plaintextOf(70_000);
    const { chunks, digest } = await sealAsIs(ctx, piecesOf(plain));
    expect(toHex(await open(ctx, { ...announced(70_000, digest), unpadded: true }, join(chunks)))).toBe(toHex(plain));
    await refused(open(ctx, announced(70_000, digest), join(chunks)), /size differs/); // the same stream as format 2: too short
  });
});

describe("the sender's padding", () => {
  it("comes in chunk-sized pieces of one zero buffer, however long the padding", async () => {
    const size = 16 * 1024 * 1024 + 1; // padded by 512 KiB - 1: eight chunks of padding
    const content = new Uint8Array(CHUNK).fill(7);
    function* file(): Generator<Piece> {
      const count = Math.ceil(size / CHUNK);
      for (let i = 0; i < count; i++) yield { piece: i === count - 1 ? content.subarray(0, size - i * CHUNK) : content, last: i === count - 1 };
    }
    const pieces = await collect(padPieces(file(), size, CHUNK));
    const padded = paddedFileSize(size);
    expect(padded - size).toBe(512 * 1024 - 1);
    expect(pieces.map((p) => p.piece.length)).toEqual(Array.from({ length: chunkCount(padded, CHUNK) }, () => CHUNK));
    expect(pieces.map((p) => p.last)).toEqual(pieces.map((_, i) => i === pieces.length - 1));
    const tail = pieces[256] as Piece; // the file's last byte, then zeros
    expect(tail.piece[0]).toBe(7);
    expect(tail.piece.subarray(1).every((b) => b === 0)).toBe(true);
    const zeros = pieces.slice(257).map((p) => p.piece);
    expect(zeros).toHaveLength(7);
    for (const z of zeros) {
      expect(z.buffer).toBe(zeros[0]?.buffer);
      expect(z.buffer.byteLength).toBe(CHUNK);
      expect(z.every((b) => b === 0)).toBe(true);
    }
  });

  it("the last piece is copied: the source may fill its buffer again once asked for more", async () => {
    const buffer = new Uint8Array(CHUNK);
    function* reusing(): Generator<Piece> {
      buffer.fill(1);
      yield { piece: buffer.subarray(0, 10), last: true };
      buffer.fill(9); // e.g. read-pieces.ts checking that the file has ended
    }
    const [first] = await collect(padPieces(reusing(), 10, CHUNK));
    expect(Array.from(first?.piece.subarray(0, 11) ?? [])).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it("refuses pieces that do not add up to the document's size", async () => {
    await expect(collect(padPieces(piecesOf(plaintextOf(100)), 101, CHUNK))).rejects.toThrow(/shorter than its size/);
    await expect(collect(padPieces(piecesOf(plaintextOf(100)), 99, CHUNK))).rejects.toThrow(/longer than its size/);
    await expect(collect(padPieces(piecesOf(plaintextOf(100), 50), 100, CHUNK))).rejects.toThrow(ProtocolError);
  });
});

describe("refusals", () => {
  /** `size` bytes of document, then `padding` instead of the right zeros, sealed with the sender's own key. */
  async function sealedWith(size: number, padding: Uint8Array) {
    const ctx = context();
    const { chunks, digest } = await sealAsIs(ctx, piecesOf(join([plaintextOf(size), padding])));
    return { ctx, ciphertext: join(chunks), digest };
  }

  it("a padding byte that is not zero: first, in the middle, or last", async () => {
    for (const size of [1, 65_537]) {
      const length = paddedFileSize(size) - size;
      for (const at of [0, Math.floor(length / 2), length - 1]) {
        const padding = new Uint8Array(length);
        padding[at] = 0x80;
        const { ctx, ciphertext, digest } = await sealedWith(size, padding);
        // The chunk layer finds nothing wrong: the sender's key sealed it and M matches.
        await expect(through(decryptFileStream(ctx, digest), ciphertext)).resolves.toHaveLength(paddedFileSize(size));
        await refused(open(ctx, announced(size, digest), ciphertext), /padding is not zeros/);
      }
    }
  });

  it("a plaintext shorter than the padded size (the zeros cut short, or left out), or longer", async () => {
    for (const size of [0, 4095, 200_000]) {
      const zeros = paddedFileSize(size) - size;
      for (const padding of [new Uint8Array(zeros - 1), new Uint8Array(0), new Uint8Array(zeros + 1)]) {
        const { ctx, ciphertext, digest } = await sealedWith(size, padding);
        // The chunk layer's length check, or for a longer stream possibly withoutPadding's, first.
        await refused(open(ctx, announced(size, digest), ciphertext), /size differs|longer than its padded size/);
      }
    }
  });

  it("withoutPadding on its own: the document's bytes out, refusing a short or long stream and non-zero padding", async () => {
    const run = (size: number, bytes: Uint8Array) => through(withoutPadding(size), bytes);
    const plain = plaintextOf(5000);
    const padded = join([plain, new Uint8Array(paddedFileSize(5000) - 5000)]);
    expect(toHex(await run(5000, padded))).toBe(toHex(plain));
    await refused(run(5000, padded.subarray(0, padded.length - 1)), /shorter than its padded size/);
    await refused(run(5000, join([padded, new Uint8Array(1)])), /longer than its padded size/);
    const dirty = new Uint8Array(padded);
    dirty[5000] = 1;
    await refused(run(5000, dirty), /padding is not zeros/);
  });
});

type PaddedCase = { size: number; paddedSize: number; chunkCount: number; chunkLengths: number[]; ciphertextSha256: string; m: string; notice: string };
const vectors = JSON.parse(readFileSync("tests/vectors/parley-v1-padded-files.json", "utf8")) as {
  input: { key: string; fileId: string; consultId: string; chunkSize: number; name: string; type: string };
  cases: PaddedCase[];
  refusals: { why: string; size: number; ciphertext: string; notice: string }[];
};

describe("vectors (tests/vectors/parley-v1-padded-files.json)", () => {
  const ctx: FileContext = {
    key: fromHex(vectors.input.key),
    fileId: fromHex(vectors.input.fileId),
    consultId: fromHex(vectors.input.consultId),
    chunkSize: vectors.input.chunkSize,
  };

  for (const v of vectors.cases) {
    it(`${v.size} bytes: padded to ${v.paddedSize}, the same chunks, M and notice; node:crypto finds the document then zeros`, async () => {
      const plain = plaintextOf(v.size);
      const { chunks, digest } = await seal(ctx, padPieces(piecesOf(plain, ctx.chunkSize), v.size, ctx.chunkSize));
      const all = join(chunks);
      expect(paddedFileSize(v.size)).toBe(v.paddedSize);
      expect(chunks.map((c) => c.length)).toEqual(v.chunkLengths);
      expect(createHash("sha256").update(all).digest("hex")).toBe(v.ciphertextSha256);
      expect(toHex(digest.hash)).toBe(v.m);
      expect(digest.chunkCount).toBe(v.chunkCount);
      const inside = openWithNode(ctx, chunks);
      expect(toHex(inside)).toBe(toHex(join([plain, new Uint8Array(v.paddedSize - v.size)])));
      const notice = decodeFileNotice(fromHex(v.notice));
      expect(notice).toEqual({
        fileId: ctx.fileId,
        key: ctx.key,
        name: vectors.input.name,
        type: vectors.input.type,
        size: v.size,
        chunkSize: ctx.chunkSize,
        chunkCount: v.chunkCount,
        hash: digest.hash,
      });
      expect(toHex(await open(ctx, notice, all))).toBe(toHex(plain));
    });
  }

  for (const r of vectors.refusals) {
    it(`refused: ${r.why}`, async () => {
      const notice = decodeFileNotice(fromHex(r.notice)); // a well-formed, signed-off notice
      await refused(open(ctx, notice, fromHex(r.ciphertext)), /padding|size differs/);
    });
  }
});
