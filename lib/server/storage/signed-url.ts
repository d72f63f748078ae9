import "server-only";
// Presigned URLs for the filesystem store: `/api/blobs/<claims>.<mac>` where claims are base64url
// JSON {op, key, uploadId?, part?, exp} and mac = HMAC-SHA256(storage key, claims). The storage key
// is derived from AUTH_SECRET with HKDF (its own label), so no other token of Parley verifies here
// and no blob URL verifies elsewhere. A URL is refused when its MAC differs (any altered character),
// when it has expired, or when it is used for another operation than it names.
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { z } from "zod";

const claims = z
  .object({
    op: z.enum(["put-part", "get"]),
    key: z.string().regex(/^[A-Za-z0-9/_-]{1,200}$/),
    uploadId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
    part: z.number().int().min(1).max(10_000).optional(),
    exp: z.number().int(),
  })
  .strict();
export type BlobClaims = z.infer<typeof claims>;

export function storageKey(authSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", authSecret, "parley/blob-url-key", "parley/v1/blob-url", 32));
}

const mac = (key: Buffer, body: string) => createHmac("sha256", key).update(body).digest("base64url");

export function signBlobToken(key: Buffer, c: BlobClaims): string {
  const body = Buffer.from(JSON.stringify(c)).toString("base64url");
  return `${body}.${mac(key, body)}`;
}

export type TokenCheck = { ok: true; claims: BlobClaims } | { ok: false; reason: "malformed" | "signature" | "expired" };

export function verifyBlobToken(key: Buffer, token: string, now = Date.now()): TokenCheck {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return { ok: false, reason: "malformed" };
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const want = Buffer.from(mac(key, body), "base64url");
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: "signature" };
  let parsed: BlobClaims;
  try {
    parsed = claims.parse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (parsed.exp * 1000 < now) return { ok: false, reason: "expired" };
  return { ok: true, claims: parsed };
}
