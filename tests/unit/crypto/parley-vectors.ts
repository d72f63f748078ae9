// The shape of tests/vectors/parley-v1.json (Parley's own fixed test vectors, written once by
// scripts/gen-crypto-vectors.ts), its loader, and the fixed P-256 keys it carries as JWKs.
// The tests only READ the file and recompute every output through lib/crypto's entry points.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

import { fromHex, subtle, type Bytes } from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/, "lower-case hex");
const text = z.string().min(1);

/** A fixed P-256 private key as a JWK with d, x, y (base64url), plus the same in hex. */
const PrivateJwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() }).strict();

const FixedKey = z
  .object({
    tests: text,
    /** how the private scalar was chosen: d = SHA-256(utf8(seed)) */
    seed: text,
    d: hex,
    /** the uncompressed public point 04‖x‖y */
    point: hex,
    jwk: PrivateJwk,
  })
  .strict();

const IdentityKey = FixedKey.extend({ spki: hex }).strict();

const HelloInputs = z.object({ consultId: hex, deviceId: hex, sid: hex, identity: hex, ephemeral: hex, dtls: hex }).strict();

export const VectorFile = z
  .object({
    source: text,
    protocol: z.literal("parley/v1"),
    keys: z
      .object({
        tests: text,
        identityA: IdentityKey,
        identityB: IdentityKey,
        ephemeralA: FixedKey,
        ephemeralB: FixedKey,
      })
      .strict(),
    labels: z.object({ tests: text, entries: z.array(z.object({ name: text, text, hex }).strict()).min(1) }).strict(),
    bytes: z
      .object({
        tests: text,
        u32: z.array(z.object({ n: z.number().int(), hex }).strict()).min(1),
        u64: z.array(z.object({ n: z.string().regex(/^\d+$/), hex }).strict()).min(1),
        uuid: z.array(z.object({ uuid: text, hex }).strict()).min(1),
        base64url: z.array(z.object({ hex, text: z.string() }).strict()).min(1),
      })
      .strict(),
    enc: z.array(z.object({ name: text, tests: text, inputs: z.object({ fields: z.array(hex) }).strict(), expected: z.object({ encoded: hex }).strict() }).strict()).min(1),
    dtlsFingerprint: z.object({ tests: text, inputs: z.object({ bytes: hex }).strict(), expected: z.object({ text }).strict() }).strict(),
    hellos: z
      .array(
        z
          .object({
            name: text,
            tests: text,
            inputs: HelloInputs,
            expected: z.object({ hello: hex, commitment: hex, signedData: hex, signature: hex }).strict(),
          })
          .strict(),
      )
      .length(2),
    transcriptHash: z.object({ tests: text, inputs: z.object({ helloA: hex, helloB: hex }).strict(), expected: z.object({ th: hex, firstInByteOrder: z.enum(["A", "B"]) }).strict() }).strict(),
    pairwise: z
      .object({
        tests: text,
        inputs: z.object({ privateA: hex, publicA: hex, privateB: hex, publicB: hex, th: hex }).strict(),
        expected: z.object({ pairwise: hex }).strict(),
      })
      .strict(),
    callCode: z
      .array(
        z
          .object({
            name: text,
            tests: text,
            inputs: z.object({ th: hex }).strict(),
            expected: z.object({ hkdf: hex, numbers: z.tuple([z.number().int(), z.number().int(), z.number().int()]), text }).strict(),
          })
          .strict(),
      )
      .min(1),
    safetyNumber: z.object({ tests: text, inputs: z.object({ spkiA: hex, spkiB: hex }).strict(), expected: z.object({ safetyNumber: text }).strict() }).strict(),
    fingerprint: z.array(z.object({ name: text, tests: text, inputs: z.object({ spki: hex }).strict(), expected: z.object({ fingerprint: hex }).strict() }).strict()).min(1),
    keyAad: z
      .object({
        tests: text,
        inputs: z.object({ th: hex, consultId: hex, senderDeviceId: hex, recipientDeviceId: hex }).strict(),
        expected: z.object({ aad: hex }).strict(),
      })
      .strict(),
    consultKey: z
      .object({
        tests: text,
        inputs: z
          .object({
            pairwise: hex,
            key: hex,
            keyId: hex,
            epoch: z.number().int(),
            iv: hex,
            th: hex,
            consultId: hex,
            senderDeviceId: hex,
            recipientDeviceId: hex,
          })
          .strict(),
        expected: z.object({ plaintext: hex, aad: hex, ciphertext: hex }).strict(),
      })
      .strict(),
  })
  .strict();

export type VectorFile = z.infer<typeof VectorFile>;
export type PrivateJwk = z.infer<typeof PrivateJwk>;

export const VECTOR_PATH = fileURLToPath(new URL("../../vectors/parley-v1.json", import.meta.url));

export function loadParleyVectors(): VectorFile {
  return VectorFile.parse(JSON.parse(readFileSync(VECTOR_PATH, "utf8")));
}

export const h = (s: string): Bytes => fromHex(s);

/** A fixed ECDH private key from its JWK (d, x, y): test scaffolding, lib/crypto only generates them. */
export function importEcdhJwk(jwk: PrivateJwk): Promise<CryptoKey> {
  return subtle().importKey("jwk", jwk, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
}

/** A fixed ECDSA identity private key from its JWK (d, x, y). */
export function importSigningJwk(jwk: PrivateJwk): Promise<CryptoKey> {
  return subtle().importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
}
