// Streaming file encryption (lib/crypto/file-stream.ts, PROTOCOL §5): round trips at the boundary
// sizes with the input cut anyhow; every way of altering the ciphertext refused (a flipped bit in
// any chunk, swapped chunks, a dropped final chunk, an appended chunk, a chunk of another file, the
// announcement of one file used for another); the announcement's size, count and M enforced; and
// the fixed vectors (tests/vectors/parley-v1-files.json), each chunk checked against node:crypto.
import { createCipheriv, createHash, randomBytes as nodeRandomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  chunkAad,
  chunkCount,
  chunkNonce,
  decryptFileStream,
  encryptedSize,
  encryptFileStream,
  fromHex,
  newFileKey,
  ProtocolError,
  randomBytes,
  toHex,
  type FileContext,
  type FileDigest,
} from "@/lib/crypto";

const CHUNK = 64 * 1024;
/** Random plaintext of any size (WebCrypto's getRandomValues stops at 64 KiB). */
const bytesOf = (n: number) => new Uint8Array(nodeRandomBytes(n));
const consultId = randomBytes(16);

/** Feeds `bytes` through `stream` in pieces of random sizes; returns the output chunks. */
async function run(stream: TransformStream<Uint8Array, Uint8Array>, bytes: Uint8Array, pieces = true): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      let at = 0;
      while (at < bytes.length) {
        const n = pieces ? 1 + Math.floor(Math.random() * 50_000) : bytes.length;
        c.enqueue(bytes.slice(at, at + n));
        at += n;
      }
      c.close();
    },
  });
  await input.pipeThrough(stream).pipeTo(new WritableStream({ write: (chunk) => void out.push(chunk) }));
  return out;
}

const join = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

async function encrypt(plain: Uint8Array, ctx?: Partial<FileContext>) {
  const fk = newFileKey();
  const c: FileContext = { key: fk.key, fileId: fk.fileId, consultId, chunkSize: CHUNK, ...ctx };
  const { stream, digest } = encryptFileStream(c);
  const chunks = await run(stream, plain);
  return { ctx: c, chunks, digest: digest() };
}

async function decrypt(ctx: FileContext, digest: FileDigest, ciphertext: Uint8Array): Promise<Uint8Array> {
  return join(await run(decryptFileStream(ctx, digest), ciphertext));
}

const refused = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(ProtocolError);

describe("round trips", () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 12345]) {
    it(`${size} bytes`, async () => {
      const plain = bytesOf(size);
      const { ctx, chunks, digest } = await encrypt(plain);
      expect(digest).toMatchObject({ size, chunkCount: chunkCount(size, CHUNK) });
      expect(chunks).toHaveLength(chunkCount(size, CHUNK));
      for (const c of chunks.slice(0, -1)) expect(c.length).toBe(CHUNK + 16);
      expect(join(chunks).length).toBe(encryptedSize(size, CHUNK));
      expect(toHex(await decrypt(ctx, digest, join(chunks)))).toBe(toHex(plain));
    });
  }

  it("the same ciphertext whether the input comes in one read of many chunks or in small reads", async () => {
    // Pieces are cut into two buffers in turn: a read holding several chunks must not overwrite
    // one whose encryption has not finished.
    const plain = bytesOf(7 * CHUNK + 999);
    const fk = newFileKey();
    const ctx: FileContext = { key: fk.key, fileId: fk.fileId, consultId, chunkSize: CHUNK };
    const whole = encryptFileStream(ctx);
    const inOneRead = join(await run(whole.stream, plain, false));
    const small = encryptFileStream(ctx);
    const inSmallReads = join(await run(small.stream, plain));
    expect(toHex(inOneRead)).toBe(toHex(inSmallReads));
    expect(whole.digest()).toEqual(small.digest());
    const opened = join(await run(decryptFileStream(ctx, whole.digest()), inOneRead, false));
    expect(toHex(opened)).toBe(toHex(plain));
  });

  it("chunk sizes outside 64 KiB–4 MiB are refused", () => {
    const fk = newFileKey();
    for (const chunkSize of [1024, 4 * 1024 * 1024 + 1, 65536.5]) expect(() => encryptFileStream({ ...fk, consultId, chunkSize })).toThrow(ProtocolError);
  });
});

describe("refusals", () => {
  const plain = bytesOf(3 * CHUNK + 100); // four chunks, the last short

  it("a flipped bit anywhere in any chunk", async () => {
    const { ctx, chunks, digest } = await encrypt(plain);
    for (let i = 0; i < chunks.length; i++) {
      const altered = chunks.map((c) => new Uint8Array(c));
      const target = altered[i] as Uint8Array;
      const at = Math.floor(Math.random() * target.length);
      target[at] = (target[at] ?? 0) ^ (1 << Math.floor(Math.random() * 8));
      await refused(decrypt(ctx, digest, join(altered)));
    }
  });

  it("two chunks swapped", async () => {
    const { ctx, chunks, digest } = await encrypt(plain);
    const [a, b, ...rest] = chunks as [Uint8Array, Uint8Array, ...Uint8Array[]];
    await refused(decrypt(ctx, digest, join([b, a, ...rest])));
  });

  it("the final chunk dropped, or the stream cut at a chunk boundary", async () => {
    const { ctx, chunks, digest } = await encrypt(plain);
    await refused(decrypt(ctx, digest, join(chunks.slice(0, -1))));
    await refused(decrypt(ctx, { ...digest, chunkCount: chunks.length - 1 }, join(chunks.slice(0, -1))));
  });

  it("a chunk appended after the final one (a copy, or a real next chunk)", async () => {
    const { ctx, chunks, digest } = await encrypt(plain);
    await refused(decrypt(ctx, digest, join([...chunks, chunks.at(-1) as Uint8Array])));
    // the sender's key sealing a chunk n as final: the real final chunk is then not the last
    const longer = await encrypt(bytesOf(4 * CHUNK + 10), { key: ctx.key, fileId: ctx.fileId });
    await refused(decrypt(ctx, digest, join([...chunks.slice(0, -1), ...longer.chunks.slice(3)])));
  });

  it("a chunk from another file (another key, or the same key and another file id)", async () => {
    const { ctx, chunks, digest } = await encrypt(plain);
    const other = await encrypt(bytesOf(3 * CHUNK + 100));
    await refused(decrypt(ctx, digest, join([other.chunks[0] as Uint8Array, ...chunks.slice(1)])));
    const sameKey = await encrypt(bytesOf(3 * CHUNK + 100), { key: ctx.key });
    await refused(decrypt(ctx, digest, join([sameKey.chunks[0] as Uint8Array, ...chunks.slice(1)])));
  });

  it("one file's announcement (name, key, id, hash) used for another file's bytes", async () => {
    const a = await encrypt(bytesOf(CHUNK + 5));
    const b = await encrypt(bytesOf(CHUNK + 5));
    await refused(decrypt(a.ctx, a.digest, join(b.chunks)));
    await refused(decrypt(b.ctx, a.digest, join(b.chunks))); // right key, the other's hash
  });

  it("an announced size, chunk count or hash that differs", async () => {
    const { ctx, chunks, digest } = await encrypt(plain);
    const ct = join(chunks);
    await refused(decrypt(ctx, { ...digest, size: digest.size + 1 }, ct));
    await refused(decrypt(ctx, { ...digest, chunkCount: digest.chunkCount + 1 }, ct));
    const hash = new Uint8Array(digest.hash);
    hash[0] = (hash[0] ?? 0) ^ 1;
    await refused(decrypt(ctx, { ...digest, hash }, ct));
    await refused(decrypt(ctx, digest, new Uint8Array(0)));
  });
});

type VectorCase = { size: number; chunkCount: number; chunkLengths: number[]; ciphertextSha256: string; ciphertext?: string; m: string };
const vectors = JSON.parse(readFileSync("tests/vectors/parley-v1-files.json", "utf8")) as {
  input: { key: string; fileId: string; consultId: string; chunkSize: number };
  cases: VectorCase[];
};

describe("vectors (tests/vectors/parley-v1-files.json)", () => {
  const ctx: FileContext = {
    key: fromHex(vectors.input.key),
    fileId: fromHex(vectors.input.fileId),
    consultId: fromHex(vectors.input.consultId),
    chunkSize: vectors.input.chunkSize,
  };
  const plaintextOf = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);

  for (const v of vectors.cases) {
    it(`${v.size} bytes: the same chunks, hash and M, and node:crypto agrees chunk by chunk`, async () => {
      const plain = plaintextOf(v.size);
      const { stream, digest } = encryptFileStream(ctx);
      const chunks = await run(stream, plain);
      const all = join(chunks);
      expect(chunks.map((c) => c.length)).toEqual(v.chunkLengths);
      expect(createHash("sha256").update(all).digest("hex")).toBe(v.ciphertextSha256);
      if (v.ciphertext) expect(toHex(all)).toBe(v.ciphertext);
      expect(toHex(digest().hash)).toBe(v.m);
      expect(digest().chunkCount).toBe(v.chunkCount);
      // independent check: each chunk is AES-256-GCM under the documented nonce and AAD
      const aad = chunkAad(ctx.consultId, ctx.fileId, ctx.chunkSize);
      chunks.forEach((c, i) => {
        const cipher = createCipheriv("aes-256-gcm", ctx.key, chunkNonce(i, i === chunks.length - 1));
        cipher.setAAD(aad);
        const body = Buffer.concat([cipher.update(plain.subarray(i * ctx.chunkSize, (i + 1) * ctx.chunkSize)), cipher.final(), cipher.getAuthTag()]);
        expect(toHex(c)).toBe(body.toString("hex"));
      });
      expect(toHex(await decrypt(ctx, { size: v.size, chunkCount: v.chunkCount, hash: fromHex(v.m) }, all))).toBe(toHex(plain));
    });
  }

  it("the nonce is an 11-byte big-endian counter and a final flag", () => {
    expect(toHex(chunkNonce(0, false))).toBe("000000000000000000000000");
    expect(toHex(chunkNonce(1, true))).toBe("000000000000000000000101");
    expect(toHex(chunkNonce(0x0102030405, false))).toBe("000000000000010203040500");
  });
});
