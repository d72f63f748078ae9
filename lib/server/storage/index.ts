import "server-only";
// The one place that chooses the object store: S3 when S3_* is set (the S3 driver is the next step
// of the documents issue), else the filesystem under DATA_DIR/blobs.
import path from "node:path";
import { getServerEnv, type ServerEnv } from "../env";
import { FsBlobStore } from "./fs-driver";
import { storageKey } from "./signed-url";
import type { BlobStore } from "./types";

const g = globalThis as { __parleyBlobStore?: BlobStore };

export function createBlobStore(env: ServerEnv): BlobStore {
  if (env.s3) throw new Error("S3_* is set, but the S3 storage driver is not part of this build yet; unset S3_* to use the embedded store");
  return new FsBlobStore(path.join(env.dataDir, "blobs"), storageKey(env.authSecret));
}

export function getBlobStore(): BlobStore {
  g.__parleyBlobStore ??= createBlobStore(getServerEnv());
  return g.__parleyBlobStore;
}

export { FsBlobStore, BlobError } from "./fs-driver";
export type { BlobStore, UploadedPart } from "./types";
