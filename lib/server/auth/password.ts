import "server-only";
// Staff passwords. New hashes are argon2id in the PHC string format
// (`$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt b64>$<hash b64>`), computed by the
// native binding @node-rs/argon2 (prebuilt per platform, on Next's built-in list of server
// external packages). Hashes from before are scrypt, `scrypt$<logN>$<r>$<p>$<salt b64url>$<hash b64url>`:
// they still verify, and `needsRehash` says to replace them at the next successful sign-in.
// Both formats hash the NFKC form of the password, so the same typed password always matches.
import { hash as argon2Hash, verify as argon2Verify, type Options } from "@node-rs/argon2";
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

// m=64 MiB, t=3, p=1: above OWASP's argon2id floor (m=19 MiB, t=2, p=1), with the memory and passes
// of RFC 9106's memory-constrained recommendation, so a guess costs an attacker no less memory×time
// than under the scrypt N=2^15 (32 MiB) it replaces. One lane keeps a sign-in on one libuv thread, so
// concurrent sign-ins hold at most UV_THREADPOOL_SIZE × 64 MiB. Raising these later only needs
// needsRehash to be honoured at sign-in (and the MAX_ bounds below to stay above them).
const MEMORY_KIB = 65536;
const PASSES = 3;
const LANES = 1;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
const ARGON2: Options = {
  algorithm: 2, // Algorithm.Argon2id: an ambient const enum, which isolatedModules cannot read
  memoryCost: MEMORY_KIB,
  timeCost: PASSES,
  parallelism: LANES,
  outputLen: HASH_BYTES,
};

// Bounds keep a corrupt or hostile row from throwing or from costing minutes of CPU or gigabytes.
// Salts of 8+ bytes (argon2's minimum) and hashes of 32+ bytes are accepted; shorter hashes never verify.
const ARGON2_PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{43,})$/;
const MAX_MEMORY_KIB = 1 << 18;
const MAX_PASSES = 16;
const MAX_LANES = 16;

type Argon2Params = { m: number; t: number; p: number; saltBytes: number };

function argon2Params(stored: string): Argon2Params | undefined {
  const match = ARGON2_PHC.exec(stored);
  if (!match) return undefined;
  const [m, t, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (p < 1 || p > MAX_LANES || m < 8 * p || m > MAX_MEMORY_KIB || t < 1 || t > MAX_PASSES) return undefined;
  // Unpadded base64: every 4 characters carry 3 bytes.
  return { m, t, p, saltBytes: Math.floor(((match[4] ?? "").length * 3) / 4) };
}

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize("NFKC"), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

const SCRYPT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;
const maxmem = (n: number, r: number) => 256 * n * r;

type ScryptParams = { logN: number; r: number; p: number; salt: Buffer; expected: Buffer };

function scryptParams(stored: string): ScryptParams | undefined {
  const m = SCRYPT.exec(stored);
  if (!m) return undefined;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // The same kind of bounds as for argon2id above.
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const expected = Buffer.from(m[5] ?? "", "base64url");
  if (expected.length !== 32) return undefined;
  return { logN, r, p, salt: Buffer.from(m[4] ?? "", "base64url"), expected };
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const params = scryptParams(stored);
  if (!params) return false;
  const { logN, r, p, salt, expected } = params;
  const N = 2 ** logN;
  try {
    const got = await scrypt(password, salt, 32, { N, r, p, maxmem: maxmem(N, r) * p });
    return timingSafeEqual(got, expected);
  } catch {
    return false;
  }
}

export async function hashPassword(password: string): Promise<string> {
  return argon2Hash(password.normalize("NFKC"), { ...ARGON2, salt: randomBytes(SALT_BYTES) });
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith("scrypt$")) return verifyScrypt(password, stored);
  if (!argon2Params(stored)) return false;
  try {
    return await argon2Verify(stored, password.normalize("NFKC"));
  } catch {
    return false;
  }
}

/**
 * Whether a stored hash that just verified should be replaced by `hashPassword` of the same
 * password: every scrypt hash, and argon2id hashes weaker than the current parameters. The number
 * of lanes does not count, since it splits the same memory rather than adding to it. A string that
 * is neither format answers false: it never verifies, so there is nothing to upgrade.
 */
export function needsRehash(stored: string): boolean {
  if (scryptParams(stored)) return true;
  const params = argon2Params(stored);
  if (!params) return false;
  return params.m < MEMORY_KIB || params.t < PASSES || params.saltBytes < SALT_BYTES;
}

/** A fixed hash to verify against when the email is unknown, so timing does not reveal accounts. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}
