import "server-only";
// Staff second factor: time-based one-time passwords (RFC 6238) through the `otpauth` library.
// SHA-1, 6 digits and a 30 s period are the parameters every authenticator app supports; other
// choices are silently ignored by some apps, which then show codes that never match. A code is
// accepted one step either side of now (clock drift, slow typing) and only for a step later than
// the last one used, so an observed code cannot be replayed. The caller stores the returned step.
import { timingSafeEqual } from "node:crypto";
import { HOTP, Secret, TOTP } from "otpauth";

const ALGORITHM = "SHA1";
const DIGITS = 6;
const PERIOD_S = 30;
/** steps accepted either side of the current one */
const WINDOW = 1;
/** RFC 4226 §4 asks for at least 128 bits and recommends 160, the size of a SHA-1 block's output */
const SECRET_BYTES = 20;
const MIN_SECRET_BYTES = 16;

const CODE = /^[0-9]{6}$/;

/** Decodes a stored base32 secret; a short or empty one would make codes guessable, so it throws. */
function secretOf(secretBase32: string): Secret {
  const secret = Secret.fromBase32(secretBase32); // throws a TypeError on a non-base32 character
  if (secret.bytes.length < MIN_SECRET_BYTES) throw new TypeError("TOTP secret is too short");
  return secret;
}

/** A fresh random 20-byte secret, base32 (RFC 4648, no padding), as authenticator apps expect. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app reads from the enrolment QR code. */
export function totpUri(secretBase32: string, account: string, issuer = "Parley"): string {
  return new TOTP({
    issuer,
    label: account,
    secret: secretOf(secretBase32),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_S,
  }).toString();
}

export type TotpResult = { ok: true; step: number } | { ok: false };

/**
 * Checks `code` (6 digits; white space such as "123 456" is ignored) against the steps around `now`.
 * `step` is floor(unix seconds / 30) of the step the code matched; steps ≤ `lastUsedStep` are refused.
 * Throws only for a malformed secret, which is a server fault rather than a wrong code.
 */
export function verifyTotp(secretBase32: string, code: string, opts: { now?: number /* ms */; lastUsedStep?: number | null }): TotpResult {
  const secret = secretOf(secretBase32);
  const digits = code.replace(/\s+/g, "");
  if (!CODE.test(digits)) return { ok: false };
  const given = Buffer.from(digits, "ascii");
  const current = TOTP.counter({ period: PERIOD_S, timestamp: opts.now ?? Date.now() });
  const lastUsed = opts.lastUsedStep ?? null;
  // Every candidate step is computed and compared, used or not, so the time taken does not say
  // which step matched. The earliest fresh match wins: it leaves the most room for the next code.
  let matched: number | undefined;
  for (let step = current - WINDOW; step <= current + WINDOW; step++) {
    const expected = Buffer.from(HOTP.generate({ secret, algorithm: ALGORITHM, digits: DIGITS, counter: step }), "ascii");
    const equal = timingSafeEqual(expected, given);
    if (equal && matched === undefined && (lastUsed === null || step > lastUsed)) matched = step;
  }
  return matched === undefined ? { ok: false } : { ok: true, step: matched };
}
