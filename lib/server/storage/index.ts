import "server-only";
// The one place that chooses the object store: S3 (or R2, MinIO, Ceph RGW) when S3_* is set, else
// the filesystem under DATA_DIR/blobs.
import path from "node:path";
import { getServerEnv, type ServerEnv } from "../env";
import { FsBlobStore } from "./fs-driver";
import { makeS3Client } from "./s3-client";
import { S3BlobStore } from "./s3-driver";
import { storageKey } from "./signed-url";
import type { BlobStore } from "./types";

const g = globalThis as { __parleyBlobStore?: BlobStore };

export function createBlobStore(env: ServerEnv): BlobStore {
  if (env.s3) return new S3BlobStore(makeS3Client(env.s3), env.s3.bucket);
  return new FsBlobStore(path.join(env.dataDir, "blobs"), storageKey(env.authSecret));
}

export function getBlobStore(): BlobStore {
  g.__parleyBlobStore ??= createBlobStore(getServerEnv());
  return g.__parleyBlobStore;
}

export { FsBlobStore, BlobError } from "./fs-driver";
export { S3BlobStore } from "./s3-driver";
export { makeS3Client, type S3Settings } from "./s3-client";
export type { BlobStore, UploadedPart } from "./types";
