import "server-only";
// Recovery codes: the second factor of last resort when a staff member loses their authenticator.
// Each code is 10 Crockford base32 characters (50 random bits), shown as `XXXXX-XXXXX`. Crockford's
// alphabet has no I, L, O or U, and reads I/L as 1 and O as 0, so a code copied by hand still works.
// The database keeps only SHA-256 of the normalised code. A fast hash suffices, unlike for
// passwords: a code is 50 random bits rather than something a person chose, so there is no small
// set of likely guesses for a slow hash to protect; each code works once and attempts are
// rate-limited, so guessing online is hopeless; and a code only stands in for the authenticator,
// so whoever searches a stolen database offline still needs the password as well.
import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS = 10;
const GROUP = 5;
/** white space, the ASCII hyphen and the Unicode hyphens and dashes a document editor may substitute */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212]/g;
const ASCII_ALNUM = /^[0-9A-Za-z]+$/;
const CODE = /^[0-9A-HJKMNP-TV-Z]{10}$/;
/** far above any plausible spelling of a code; keeps the work on hostile input small */
const MAX_INPUT = 64;

/** The canonical 10-character form (upper case, I/L→1, O→0, separators removed), or undefined. */
export function normaliseRecoveryCode(code: string): string | undefined {
  if (code.length > MAX_INPUT) return undefined;
  const bare = code.replace(SEPARATORS, "");
  // Checked before upper-casing, which maps some non-ASCII letters (ı, ſ) onto ASCII ones.
  if (!ASCII_ALNUM.test(bare)) return undefined;
  const upper = bare.toUpperCase().replace(/[IL]/g, "1").replace(/O/g, "0");
  return CODE.test(upper) ? upper : undefined;
}

/**
 * SHA-256 of the normalised code, for storage and lookup. Input that is not a code is hashed as
 * given: it then matches no stored hash (every stored code normalises to itself), so a route can
 * pass user input straight through without a separate error path.
 */
export function hashRecoveryCode(code: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    createHash("sha256")
      .update(normaliseRecoveryCode(code) ?? code, "utf8")
      .digest(),
  );
}

function randomCode(): string {
  // One byte per character: 256 is a multiple of 32, so `& 31` is uniform (5 bits each, 50 in all).
  const bytes = randomBytes(CODE_CHARS);
  let code = "";
  for (const b of bytes) code += ALPHABET[b & 31];
  return `${code.slice(0, GROUP)}-${code.slice(GROUP)}`;
}

/** `n` distinct fresh codes to show once, and their hashes (same order) to store. */
export function newRecoveryCodes(n = 10): { codes: string[]; hashes: Uint8Array<ArrayBuffer>[] } {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new RangeError("between 1 and 100 recovery codes");
  const codes = new Set<string>();
  while (codes.size < n) codes.add(randomCode());
  const list = [...codes];
  return { codes: list, hashes: list.map(hashRecoveryCode) };
}
