// Writes tests/vectors/parley-v1-files.json: fixed vectors for streaming file encryption
// (PROTOCOL §5, lib/crypto/file-stream.ts), computed through lib/crypto's own streams. Everything
// is deterministic (fixed key, ids and plaintext). tests/unit/crypto/file-stream.test.ts recomputes
// every output and checks each chunk against node:crypto's AES-GCM, an independent implementation.
//
//   npx tsx scripts/gen-file-vectors.ts            refuses if the file exists
//   npx tsx scripts/gen-file-vectors.ts --force    overwrites it (a protocol change!)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { encryptFileStream, fromHex, toHex } from "../lib/crypto";

const out = fileURLToPath(new URL("../tests/vectors/parley-v1-files.json", import.meta.url));
if (existsSync(out) && !process.argv.includes("--force")) {
  console.error(`${out} exists; vectors are written once (use --force only for a protocol change)`);
  process.exit(1);
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

async function run(size: number) {
  const { stream, digest } = encryptFileStream({
    key: fromHex(FILE_VECTOR_INPUT.key),
    fileId: fromHex(FILE_VECTOR_INPUT.fileId),
    consultId: fromHex(FILE_VECTOR_INPUT.consultId),
    chunkSize: FILE_VECTOR_INPUT.chunkSize,
  });
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
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ protocol: "parley/v1", section: "5 (files)", input: { ...FILE_VECTOR_INPUT, plaintext: "byte i = i mod 251" }, cases }, null, 2) + "\n");
console.log(`wrote ${out}`);
