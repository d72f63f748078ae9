import { z } from "zod";
import { BlobError, getBlobStore, type FsBlobStore } from "@/lib/server/storage";
import { ApiError } from "@/lib/server/errors";
import { readParams, route } from "@/lib/server/http";

// The embedded store's presigned URLs (lib/server/storage/fs-driver.ts): the URL itself is the
// authorization (HMAC-signed, expiring, one operation), exactly like an S3 presigned URL.
type Ctx = { params: Promise<{ token: string }> };
const tokenParams = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "not a blob link")
    .max(2000),
});

function store(): FsBlobStore {
  const s = getBlobStore();
  // By kind, not instanceof: the store may have been made by the boot hook's copy of the class.
  if (s.kind !== "filesystem") throw new ApiError("not_found", "This server keeps documents in S3");
  return s as FsBlobStore;
}

function asApiError(err: unknown): never {
  if (!BlobError.is(err)) throw err;
  const code = ({ 400: "invalid_input", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "payload_too_large", 416: "invalid_input" } as const)[err.status];
  throw new ApiError(code, err.message);
}

/** A presigned download (Range supported). */
export const GET = route(async (req, { params }: Ctx) => {
  const { token } = await readParams(params, tokenParams);
  return store().get(token, req.headers.get("range")).catch(asApiError);
});

/** A presigned part upload: the body is stored as is (ciphertext); the answer carries its ETag. */
export const PUT = route(async (req, { params }: Ctx) => {
  const { token } = await readParams(params, tokenParams);
  return store().putPart(token, req.body).catch(asApiError);
});
