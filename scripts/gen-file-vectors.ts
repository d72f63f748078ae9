// Writes the fixed vectors of PROTOCOL §5, computed through lib/crypto's own code. Everything is
// deterministic (fixed key, ids and plaintext).
//   tests/vectors/parley-v1-files.json          streaming file encryption (lib/crypto/file-stream.ts)
//   tests/vectors/parley-v1-padded-files.json   documents padded and announced with notice format 2
//                                               (lib/crypto/file-padding.ts, file-notice.ts), and two
//                                               streams a reader must refuse
// tests/unit/crypto/file-stream.test.ts and file-padding.test.ts recompute every output and check
// each chunk against node:crypto's AES-GCM, an independent implementation.
//
//   npx tsx scripts/gen-file-vectors.ts            writes the files that do not exist yet
//   npx tsx scripts/gen-file-vectors.ts --force    overwrites them (a protocol change!)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFileNotice, encryptFileStream, FileSealer, fromHex, padPieces, paddedFileSize, toHex, type Bytes, type FileContext } from "../lib/crypto";

const force = process.argv.includes("--force");

/** Writes `name` under tests/vectors/ once: vectors are fixed, a changed output is a protocol change. */
function writeOnce(name: string, content: unknown): void {
  const out = fileURLToPath(new URL(`../tests/vectors/${name}`, import.meta.url));
  if (existsSync(out) && !force) return console.log(`${out} exists; left as it is (use --force only for a protocol change)`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(content, null, 2) + "\n");
  console.log(`wrote ${out}`);
}

const FILE_VECTOR_INPUT = {
  key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
  fileId: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
  consultId: "0192f3a4b5c67d8e9fa0b1c2d3e4f506",
  chunkSize: 65536,
  /** plaintext byte i is i mod 251 */
  sizes: [0, 1, 65536, 65537, 200000],
};

const plaintextOf = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);

const key = fromHex(FILE_VECTOR_INPUT.key);
const fileId = fromHex(FILE_VECTOR_INPUT.fileId);
const ctx: FileContext = { key, fileId, consultId: fromHex(FILE_VECTOR_INPUT.consultId), chunkSize: FILE_VECTOR_INPUT.chunkSize };

async function run(size: number) {
  const { stream, digest } = encryptFileStream(ctx);
  const chunks: Uint8Array[] = [];
  await new Blob([plaintextOf(size)])
    .stream()
    .pipeThrough(stream)
    .pipeTo(new WritableStream({ write: (c) => void chunks.push(c) }));
  const d = digest();
  const all = Buffer.concat(chunks);
  return {
    size,
    chunkCount: d.chunkCount,
    chunkLengths: chunks.map((c) => c.length),
    ciphertextSha256: createHash("sha256").update(all).digest("hex"),
    ...(all.length <= 64 ? { ciphertext: all.toString("hex") } : {}),
    m: toHex(d.hash),
  };
}

const cases = [];
for (const size of FILE_VECTOR_INPUT.sizes) cases.push(await run(size));
writeOnce("parley-v1-files.json", { protocol: "parley/v1", section: "5 (files)", input: { ...FILE_VECTOR_INPUT, plaintext: "byte i = i mod 251" }, cases });

// ---- padded documents (notice format 2) ----

const PADDED_VECTOR_INPUT = { ...FILE_VECTOR_INPUT, sizes: [0, 1, 4095, 4096, 65537, 200000], name: "Befund März.pdf", type: "application/pdf" };

/** A plaintext stream in pieces of chunkSize (the last shorter; an empty stream one empty piece). */
function* piecesOf(bytes: Uint8Array): Generator<{ piece: Uint8Array; last: boolean }> {
  const n = ctx.chunkSize;
  for (let at = 0; ; at += n) {
    const last = at + n >= bytes.length;
    yield { piece: bytes.subarray(at, at + n), last };
    if (last) return;
  }
}

async function sealed(pieces: AsyncIterable<{ piece: Uint8Array; last: boolean }> | Iterable<{ piece: Uint8Array; last: boolean }>) {
  const sealer = await FileSealer.create(ctx);
  const chunks: Uint8Array[] = [];
  for await (const { piece, last } of pieces) chunks.push(await sealer.seal(piece, last));
  return { chunks, digest: await sealer.digest(), all: Buffer.concat(chunks) };
}

const notice = (size: number, chunkCount: number, hash: Bytes) =>
  toHex(encodeFileNotice({ fileId, key, name: PADDED_VECTOR_INPUT.name, type: PADDED_VECTOR_INPUT.type, size, chunkSize: ctx.chunkSize, chunkCount, hash }));

async function padded(size: number) {
  const { chunks, digest, all } = await sealed(padPieces(piecesOf(plaintextOf(size)), size, ctx.chunkSize));
  return {
    size,
    paddedSize: paddedFileSize(size),
    chunkCount: digest.chunkCount,
    chunkLengths: chunks.map((c) => c.length),
    ciphertextSha256: createHash("sha256").update(all).digest("hex"),
    m: toHex(digest.hash),
    notice: notice(size, digest.chunkCount, digest.hash),
  };
}

/** A stream the sender's own key sealed and announced, which a reader must still refuse. */
async function refused(why: string, size: number, plain: Uint8Array) {
  const { digest, all } = await sealed(piecesOf(plain));
  return { why, size, ciphertext: all.toString("hex"), notice: notice(size, digest.chunkCount, digest.hash) };
}

const paddedCases = [];
for (const size of PADDED_VECTOR_INPUT.sizes) paddedCases.push(await padded(size));
const dirty = new Uint8Array(paddedFileSize(1));
dirty.set(plaintextOf(1));
dirty[dirty.length - 1] = 1;
const refusals = [await refused("a padding byte is not zero (the last one is 0x01)", 1, dirty), await refused("the plaintext stops one byte short of the padded size", 4095, plaintextOf(4095))];
writeOnce("parley-v1-padded-files.json", {
  protocol: "parley/v1",
  section: "5 (files: padding, notice format 2)",
  input: { ...PADDED_VECTOR_INPUT, plaintext: "byte i = i mod 251, then zeros up to paddedSize" },
  cases: paddedCases,
  refusals,
});
