// Object stores for integration tests, each with the `fetch` a browser would use on its presigned
// URLs: the filesystem driver in a temporary folder (its URLs answered the way app/api/blobs does,
// without an HTTP server), and the S3 driver on the Ceph RGW that scripts/test.sh started.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobError, FsBlobStore, makeS3Client, S3BlobStore, type BlobStore } from "@/lib/server/storage";
import { storageKey } from "@/lib/server/storage/signed-url";
import { testS3Settings } from "./s3";

export type StoreHarness = { store: BlobStore; fetch(url: string, init?: RequestInit): Promise<Response>; close(): Promise<void> };

export async function fsStoreHarness(secret = "blob-test-secret-0123456789abcdef0123"): Promise<StoreHarness> {
  const root = await mkdtemp(path.join(tmpdir(), "parley-blobs-"));
  const store = new FsBlobStore(root, storageKey(secret));
  // The token is the URL's last segment.
  const serve = async (url: string, init: RequestInit = {}) => {
    const token = url.split("/").pop() ?? "";
    const req = new Request(`http://127.0.0.1${url}`, { ...init, ...(init.body ? { duplex: "half" } : {}) });
    try {
      return init.method === "PUT" ? await store.putPart(token, req.body) : await store.get(token, req.headers.get("range"));
    } catch (err) {
      if (err instanceof BlobError) return new Response(err.message, { status: err.status });
      throw err;
    }
  };
  return { store, fetch: serve, close: () => rm(root, { recursive: true, force: true }) };
}

/** A fresh bucket on the test RGW, or undefined when there is none (TEST_S3_* unset). */
export async function s3StoreHarness(prefix: string): Promise<StoreHarness | undefined> {
  const s3 = testS3Settings();
  if (!s3) return undefined;
  const store = new S3BlobStore(makeS3Client(s3), `${prefix}-${randomBytes(4).toString("hex")}`);
  await store.ensureBucket();
  return { store, fetch: (url, init) => fetch(url, init), close: () => Promise.resolve() };
}
