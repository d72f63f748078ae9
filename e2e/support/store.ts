// The object store behind the PostgreSQL e2e server, read and altered the way a stolen or
// malicious storage provider could: Ceph RGW through the S3 API when scripts/test.sh started it
// (TEST_S3_*, handed to that server by playwright.config.ts), else the filesystem store in the
// server's DATA_DIR. Plus a check for runs of a plaintext inside stored bytes.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../lib/server/storage/s3-client";
import { testS3Settings } from "../../tests/support/s3";

const dataRoot = process.env.PARLEY_TEST_RUN ?? ".test-stack";

function s3(): { client: S3Client; bucket: string } | undefined {
  const settings = testS3Settings();
  const bucket = process.env.TEST_S3_BUCKET;
  return settings && bucket ? { client: makeS3Client(settings), bucket } : undefined;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

export class TestStore {
  readonly kind = s3() ? "s3" : "filesystem";
  private readonly root = path.join(dataRoot, "app-pg", "blobs");

  /** Every stored object (and, on the filesystem, every unfinished part) with its bytes. */
  async objects(): Promise<{ key: string; bytes: Buffer }[]> {
    const store = s3();
    if (!store) return Promise.all((await filesUnder(this.root)).map(async (f) => ({ key: path.relative(this.root, f), bytes: await readFile(f) })));
    const out: { key: string; bytes: Buffer }[] = [];
    let token: string | undefined;
    do {
      const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, bytes: await this.read(o.Key) });
      token = page.NextContinuationToken;
    } while (token);
    return out;
  }

  async read(key: string): Promise<Buffer> {
    const store = s3();
    if (!store) return readFile(path.join(this.root, "objects", ...key.split("/")));
    const r = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    return Buffer.from(await (r.Body?.transformToByteArray() ?? new Uint8Array()));
  }

  async write(key: string, bytes: Buffer): Promise<void> {
    const store = s3();
    if (!store) return writeFile(path.join(this.root, "objects", ...key.split("/")), bytes);
    await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: bytes }));
  }
}

/**
 * Finds whether `haystack` holds any 32-byte run of `plaintext`. Any such run contains a whole
 * 16-byte block of the plaintext at an offset that is a multiple of 16, so those blocks are
 * indexed and every offset of the haystack is looked up (a 256 Mbit filter on the first 4 bytes
 * first, then an exact comparison). Stricter than asked: a shorter run that covers an aligned
 * block is found too.
 */
export function plaintextRuns(plaintext: Buffer): (haystack: Buffer) => number | undefined {
  const filter = new Uint8Array(1 << 25); // one bit per value of the first 28 bits of a block
  const blocks = new Map<number, number[]>();
  for (let i = 0; i + 16 <= plaintext.length; i += 16) {
    const k = plaintext.readUInt32BE(i);
    filter[k >>> 7] = (filter[k >>> 7] ?? 0) | (1 << ((k >>> 4) & 7));
    const list = blocks.get(k);
    if (list) list.push(i);
    else blocks.set(k, [i]);
  }
  return (haystack) => {
    for (let at = 0; at + 16 <= haystack.length; at++) {
      const k = haystack.readUInt32BE(at);
      if (((filter[k >>> 7] ?? 0) & (1 << ((k >>> 4) & 7))) === 0) continue;
      for (const i of blocks.get(k) ?? []) if (haystack.compare(plaintext, i, i + 16, at, at + 16) === 0) return at;
    }
    return undefined;
  };
}
