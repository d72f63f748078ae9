import "server-only";
// Staff passwords: scrypt (N=2^15, r=8, p=1, 32-byte salt, 32-byte key), stored as
// `scrypt$<logN>$<r>$<p>$<salt b64url>$<hash b64url>` so parameters can rise later.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFKC"), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const LOG_N = 15;
const R = 8;
const P = 1;
const maxmem = (n: number, r: number) => 256 * n * r;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(32);
  const N = 2 ** LOG_N;
  const hash = await scrypt(password, salt, 32, { N, r: R, p: P, maxmem: maxmem(N, R) });
  return ["scrypt", LOG_N, R, P, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/.exec(stored);
  if (!m) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a corrupt or hostile row from throwing or from costing minutes of CPU.
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5] ?? "", "base64url");
  if (expected.length !== 32) return false;
  const N = 2 ** logN;
  try {
    const got = await scrypt(password, Buffer.from(m[4] ?? "", "base64url"), 32, { N, r, p, maxmem: maxmem(N, r) * p });
    return timingSafeEqual(got, expected);
  } catch {
    return false;
  }
}

/** A fixed hash to verify against when the email is unknown, so timing does not reveal accounts. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}
