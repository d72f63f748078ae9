// How Parley talks to an S3-compatible store, in one place the server, scripts/s3-bucket.ts and the
// tests (vitest and Playwright alike) share; deliberately not `server-only`, so a test process can
// presign exactly as the server does. Checksums are computed only when an operation requires one:
// otherwise the SDK signs a CRC of an empty body into presigned PUT URLs and real stores refuse the
// browser's upload (MACHINE-NOTES). Stores other than AWS want path-style URLs (S3_FORCE_PATH_STYLE).
import { S3Client } from "@aws-sdk/client-s3";
import type { ServerEnv } from "../env";

export type S3Settings = Omit<NonNullable<ServerEnv["s3"]>, "bucket">;

/** The one way Parley makes an S3 client (the unit test on presigned URLs uses it too). */
export function makeS3Client(s: S3Settings): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    forcePathStyle: s.forcePathStyle,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
