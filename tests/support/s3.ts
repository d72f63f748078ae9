// An S3 client configured the way Parley must talk to any S3-compatible store (MACHINE-NOTES):
// path-style addressing for non-AWS stores, and checksums only when an operation requires them.
// With the SDK's default (`WHEN_SUPPORTED`), presigned PutObject/UploadPart URLs embed
// `x-amz-checksum-crc32` of an empty body, which real S3, R2 and MinIO then hold against the
// browser's upload; local servers ignore it, so only a unit test on the URL catches it.
// Relative imports, no `server-only`: the Playwright specs use this file too.
import type { S3Settings } from "../../lib/server/storage/s3-client";

export { makeS3Client } from "../../lib/server/storage/s3-client";

/** The store scripts/test.sh started (TEST_S3_*), or undefined when there is none. */
export function testS3Settings(): (S3Settings & { endpoint: string }) | undefined {
  const e = process.env;
  if (!e.TEST_S3_ENDPOINT) return undefined;
  return {
    endpoint: e.TEST_S3_ENDPOINT,
    region: e.TEST_S3_REGION ?? "us-east-1",
    accessKeyId: e.TEST_S3_ACCESS_KEY_ID ?? "",
    secretAccessKey: e.TEST_S3_SECRET_ACCESS_KEY ?? "",
    forcePathStyle: (e.TEST_S3_FORCE_PATH_STYLE ?? "true") === "true",
  };
}
