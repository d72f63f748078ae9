// The object store as the documents feature uses it (PROTOCOL §5): multipart uploads through
// presigned part URLs, ranged downloads through presigned GET URLs, and the few calls the server
// makes itself. Two drivers implement it — S3 (`@aws-sdk/client-s3`) and the local filesystem of
// the embedded default (fs-driver.ts, served by app/api/blobs) — and pass one conformance suite.
// Keys are opaque ids chosen by the server; objects are ciphertext.

export type UploadedPart = { partNumber: number; etag: string };

export interface BlobStore {
  /** which driver, for logs and health: "s3" or "filesystem" */
  readonly kind: "s3" | "filesystem";
  /** Starts a multipart upload of `key`; returns its upload id. */
  createMultipart(key: string): Promise<string>;
  /** A URL the browser PUTs one part's bytes to (answer: 200 with an ETag header), valid `expiresIn` seconds. */
  presignPart(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string>;
  /** Joins the parts (in partNumber order) into the object. */
  completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  /** Drops an unfinished upload and its parts. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** A URL the browser GETs the object from (Range requests answered 206), valid `expiresIn` seconds. */
  presignGet(key: string, expiresIn: number): Promise<string>;
  /** The stored size, or undefined when there is no such object. */
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /** Resolves when the store can be used now (the bucket answers; the folder is writable), else rejects saying why. */
  probe(): Promise<void>;
}

/** Part numbers as S3 allows them. */
export const MAX_PARTS = 10_000;
