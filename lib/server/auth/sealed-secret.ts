import "server-only";
// Sealing of stored second-factor secrets (TOTP seeds), so a stolen database alone does not give
// them away: the key comes from AUTH_SECRET, which lives outside the database. AES-256-GCM with a
// random 96-bit IV per seal; the wire form is `v1.<iv b64url>.<ciphertext ‖ 16-byte tag, b64url>`.
// The additional data is the owner's user id, so a sealed value copied onto another user's row
// does not open. Rotating AUTH_SECRET makes every sealed secret unopenable (the staff re-enrol).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const CIPHER = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** 12 bytes are exactly 16 base64url characters, with no spare bits */
const IV_B64 = /^[A-Za-z0-9_-]{16}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

function sealKey(authSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", authSecret, "parley/factor-seal", "parley/v1/factor-secret", 32));
}

/** Encrypts `plain` under a key derived from `authSecret`, bound to `aad` (the user id). */
export function sealSecret(plain: string, authSecret: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, sealKey(authSecret), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString("base64url")}.${sealed.toString("base64url")}`;
}

/** Decodes base64url only in its canonical form, so one sealed value has exactly one spelling. */
function canonical(b64: string): Buffer | undefined {
  if (!B64URL.test(b64)) return undefined;
  const bytes = Buffer.from(b64, "base64url");
  return bytes.toString("base64url") === b64 ? bytes : undefined;
}

/** The plaintext, or undefined for a malformed value, another key or another `aad`. Never throws. */
export function openSecret(sealed: string, authSecret: string, aad: string): string | undefined {
  try {
    const parts = sealed.split(".");
    if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
    const [, ivText = "", bodyText = ""] = parts;
    if (!IV_B64.test(ivText)) return undefined;
    const iv = canonical(ivText);
    const body = canonical(bodyText);
    if (!iv || !body || body.length < TAG_BYTES) return undefined;
    const decipher = createDecipheriv(CIPHER, sealKey(authSecret), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    return plain.toString("utf8");
  } catch {
    // final() throws when the tag does not verify: wrong key, wrong aad or altered bytes.
    return undefined;
  }
}
