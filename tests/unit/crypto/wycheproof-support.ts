// Helpers for wycheproof.test.ts: loading and typing the Wycheproof vector files, building the
// test-side keys that lib/crypto has no entry point for (a static ECDH private key), and keeping
// count of every case so that none can be skipped silently.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { z } from "zod";

import { fromBase64Url, fromHex, toHex, type Bytes } from "@/lib/crypto/bytes";
import { ProtocolError, subtle } from "@/lib/crypto/subtle";

// ---- Loading ----

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const VECTOR_DIR = `${REPO_ROOT}tests/vectors/wycheproof/`;

/** Reads a vector file from the repo and checks its shape; a file that changed shape fails loudly. */
export function loadVectors<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const json: unknown = JSON.parse(readFileSync(`${VECTOR_DIR}${file}`, "utf8"));
  return schema.parse(json);
}

const hex = z.string().regex(/^(?:[0-9a-fA-F]{2})*$/, "hex");
const result = z.enum(["valid", "invalid", "acceptable"]);
export type Result = z.infer<typeof result>;

const testCase = { tcId: z.number().int().positive(), comment: z.string(), flags: z.array(z.string()), result };

function vectorFile<G extends z.ZodType>(algorithm: string, group: G) {
  return z.object({
    algorithm: z.literal(algorithm),
    numberOfTests: z.number().int().positive(),
    testGroups: z.array(group).min(1),
  });
}

export const EcdhEcpointFile = vectorFile(
  "ECDH",
  z.object({
    type: z.literal("EcdhEcpointTest"),
    curve: z.literal("secp256r1"),
    encoding: z.literal("ecpoint"),
    tests: z.array(z.object({ ...testCase, public: hex, private: hex, shared: hex })),
  }),
);

const jwk = z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string() });
export type PublicJwk = z.infer<typeof jwk>;

export const EcdhWebcryptoFile = vectorFile(
  "ECDH",
  z.object({
    type: z.literal("EcdhWebcryptoTest"),
    curve: z.literal("P-256"),
    encoding: z.literal("webcrypto"),
    tests: z.array(z.object({ ...testCase, public: jwk, private: jwk.extend({ d: z.string().regex(/^[A-Za-z0-9_-]+$/, "base64url") }), shared: hex })),
  }),
);

export const EcdsaP1363File = vectorFile(
  "ECDSA",
  z.object({
    type: z.literal("EcdsaP1363Verify"),
    sha: z.literal("SHA-256"),
    publicKeyDer: hex,
    tests: z.array(z.object({ ...testCase, msg: hex, sig: hex })),
  }),
);

export const AesGcmFile = vectorFile(
  "AES-GCM",
  z.object({
    type: z.literal("AeadTest"),
    keySize: z.number().int(),
    ivSize: z.number().int(),
    tagSize: z.number().int(),
    tests: z.array(z.object({ ...testCase, key: hex, iv: hex, aad: hex, msg: hex, ct: hex, tag: hex })),
  }),
);

export const HkdfFile = vectorFile(
  "HKDF-SHA-256",
  z.object({
    type: z.literal("HkdfTest"),
    keySize: z.number().int(),
    tests: z.array(z.object({ ...testCase, ikm: hex, salt: hex, info: hex, size: z.number().int(), okm: hex })),
  }),
);

export const bytes = (h: string): Bytes => fromHex(h);

// ---- Keys lib/crypto has no entry point for ----

// PKCS#8 PrivateKeyInfo { version 0, AlgorithmIdentifier { id-ecPublicKey, prime256v1 },
// OCTET STRING { ECPrivateKey (RFC 5915) { version 1, privateKey OCTET STRING (32 bytes) } } }, with
// the optional parameters and public key left out: the implementation computes the public point
// from d. Checked to import in Node 20's WebCrypto (OpenSSL 3) and in Chromium (BoringSSL), where
// the exported JWK's x/y equal the ones Wycheproof gives (see the self-check in the test file).
// A JWK private key would need x and y too, which we would have to compute with our own curve
// arithmetic. (Firefox's NSS has historically required the public key inside PKCS#8; these tests
// run in Node.)
const PKCS8_P256_PREFIX = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");

/** A P-256 private scalar, big-endian, of any length (leading zeros allowed), as 32 bytes. */
export function scalar32(d: Uint8Array): Bytes {
  let start = 0;
  while (start < d.length && d[start] === 0) start++;
  const significant = d.subarray(start);
  if (significant.length > 32) throw new Error("a P-256 private scalar has at most 32 significant bytes");
  const out = new Uint8Array(32);
  out.set(significant, 32 - significant.length);
  return out;
}

/** Imports the static ECDH P-256 private key `d` (big-endian scalar bytes) through PKCS#8. */
export async function importEcdhPrivateScalar(d: Uint8Array, extractable = false): Promise<CryptoKey> {
  const der = new Uint8Array(PKCS8_P256_PREFIX.length + 32);
  der.set(PKCS8_P256_PREFIX);
  der.set(scalar32(d), PKCS8_P256_PREFIX.length);
  return subtle().importKey("pkcs8", der, { name: "ECDH", namedCurve: "P-256" }, extractable, ["deriveBits"]);
}

/** base64url that is canonical (no padding, no stray bits) and decodes to exactly `n` bytes. */
function canonicalB64u(s: string, n: number): Bytes | undefined {
  try {
    const b = fromBase64Url(s);
    return b.length === n ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Our protocol has no JWK entry point: a peer's ephemeral key travels as the 65-byte uncompressed
 * point 04‖x‖y. To run the WebCrypto (JWK) vectors through `importPeerEphemeral`, a public JWK is
 * turned into that point only when it is unambiguously a P-256 point encoding — kty "EC", crv
 * "P-256", x and y canonical base64url of exactly 32 bytes each. Anything else (another curve, a
 * wrong length, a non-canonical encoding) never reaches lib/crypto and counts as refused. Whether
 * the point is on the curve is NOT checked here: that is left to lib/crypto, which is under test.
 */
export function jwkToUncompressedPoint(key: PublicJwk): Bytes | undefined {
  if (key.kty !== "EC" || key.crv !== "P-256") return undefined;
  const x = canonicalB64u(key.x, 32);
  const y = canonicalB64u(key.y, 32);
  if (!x || !y) return undefined;
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(x, 1);
  point.set(y, 33);
  return point;
}

// ---- Running and judging cases ----

/** What an entry point did with a case. A refusal must be a ProtocolError; anything else thrown is a crash. */
export type Outcome<T> = { kind: "accepted"; value: T } | { kind: "refused"; reason: string; by: "entry point" | "test conversion" } | { kind: "crashed"; error: unknown };

export async function attempt<T>(f: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { kind: "accepted", value: await f() };
  } catch (error) {
    if (error instanceof ProtocolError) return { kind: "refused", reason: error.message, by: "entry point" };
    return { kind: "crashed", error };
  }
}

export const refusedByConversion = (reason: string): Outcome<never> => ({ kind: "refused", reason, by: "test conversion" });
export const refusedByEntryPoint = (reason: string): Outcome<never> => ({ kind: "refused", reason, by: "entry point" });

type CaseInfo = { tcId: number; comment: string; flags: string[]; result: Result };

function describeCase(tc: CaseInfo): string {
  return `tcId ${tc.tcId} [${tc.result}]${tc.comment ? ` "${tc.comment}"` : ""}${tc.flags.length ? ` (${tc.flags.join(", ")})` : ""}`;
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

type Counts = Record<Result, number>;
const zero = (): Counts => ({ valid: 0, invalid: 0, acceptable: 0 });

/** Counts every case of one vector file and collects failures with their tcId and comment. */
export class Tally {
  readonly run = zero();
  /** Refused by a lib/crypto entry point (ProtocolError, or verifyRaw → false). */
  readonly refused = zero();
  /** Refused by the test's own conversion (a JWK that is not a P-256 point), never reaching lib/crypto. */
  readonly refusedByConversion = zero();
  /** Cases Wycheproof rates valid or acceptable that Parley's narrower profile must refuse (counted in `refused` too). */
  readonly outsideProfile = zero();
  private failures: string[] = [];

  constructor(readonly numberOfTests: number) {}

  fail(tc: CaseInfo, why: string): void {
    this.failures.push(`${describeCase(tc)}: ${why}`);
  }

  /**
   * Records one case and judges it by Wycheproof's rule: `valid` must be accepted and `matches`,
   * `invalid` must be refused, `acceptable` may go either way but, if accepted, must match.
   * `mustRefuse` tightens the rule where our protocol is stricter than Wycheproof.
   */
  judge<T>(tc: CaseInfo, outcome: Outcome<T>, matches: (value: T) => string | undefined, mustRefuse?: string): void {
    this.run[tc.result]++;
    if (mustRefuse) this.outsideProfile[tc.result]++;
    switch (outcome.kind) {
      case "crashed":
        this.fail(tc, `threw ${describeError(outcome.error)} instead of a ProtocolError`);
        return;
      case "refused":
        (outcome.by === "entry point" ? this.refused : this.refusedByConversion)[tc.result]++;
        if (tc.result === "valid" && !mustRefuse) this.fail(tc, `refused (${outcome.by}): ${outcome.reason}`);
        return;
      case "accepted": {
        if (mustRefuse) {
          this.fail(tc, `accepted, but ${mustRefuse}`);
          return;
        }
        if (tc.result === "invalid") {
          this.fail(tc, "accepted an invalid case");
          return;
        }
        const mismatch = matches(outcome.value);
        if (mismatch) this.fail(tc, mismatch);
      }
    }
  }

  /** Fails the current `it` with every failing case of the group listed. */
  expectNoFailures(): void {
    const failures = this.failures;
    this.failures = [];
    expect(failures, `${failures.length} Wycheproof case(s) failed:\n${failures.join("\n")}`).toEqual([]);
  }

  get total(): number {
    return this.run.valid + this.run.invalid + this.run.acceptable;
  }

  /** Every case of the file ran, and lib/crypto itself refused at least one invalid case. */
  expectComplete(): void {
    expect(this.total, "cases run vs the file's numberOfTests").toBe(this.numberOfTests);
    // Within Parley's profile, so that a refusal for size alone (an AES IV of 0 bits) does not count.
    expect(this.refused.invalid - this.outsideProfile.invalid, "invalid cases refused by a lib/crypto entry point").toBeGreaterThan(0);
  }

  summary(): string {
    const c = (k: Result) =>
      `${k} ${this.run[k]} (refused ${this.refused[k]}` +
      `${this.refusedByConversion[k] ? ` + ${this.refusedByConversion[k]} by JWK conversion` : ""}` +
      `${this.outsideProfile[k] ? `; ${this.outsideProfile[k]} outside Parley's profile` : ""})`;
    return `${this.total}/${this.numberOfTests} cases: ${c("valid")}, ${c("invalid")}, ${c("acceptable")}`;
  }
}

/** The same bytes? (Test-side comparison; reported as hex on mismatch.) */
export function sameHex(actual: Uint8Array, expectedHex: string, what: string): string | undefined {
  const got = toHex(actual);
  return got === expectedHex.toLowerCase() ? undefined : `${what} ${got} ≠ expected ${expectedHex}`;
}
