// Project Wycheproof's vectors (github.com/C2SP/wycheproof, Apache-2.0; copies and LICENSE in
// tests/vectors/wycheproof/) run through lib/crypto's OWN entry points — importPeerEphemeral/ecdh,
// importVerifyKey/verifyRaw, importAeadKey/open/seal, hkdf — not through WebCrypto directly
// (PROTOCOL §6). Every case of every file runs: one `it` per test group loops over its cases, lists
// each failing case by tcId and comment, and a last `it` per file checks that the number of cases
// run equals the file's numberOfTests and that lib/crypto refused at least one invalid case.
//
// Judging (wycheproof-support.ts, Tally.judge): `valid` must be accepted with the expected output,
// `invalid` must be refused with a ProtocolError (verifyRaw: false), `acceptable` may go either way
// but must give the expected output if accepted. Any other exception is a failure: entry points
// promise ProtocolError. Where Parley's profile is narrower than Wycheproof's (65-byte uncompressed
// points only; AES-256-GCM with 96-bit IVs only), the narrower rule is asserted as well.
// Per-file counts are attached as annotations: `npx vitest run --project unit --reporter=verbose
// tests/unit/crypto/wycheproof.test.ts` prints them.
import { describe, expect, it } from "vitest";

import { concat, fromBase64Url, type Bytes } from "@/lib/crypto/bytes";
import { subtle } from "@/lib/crypto/subtle";
import { ecdh, hkdf, importAeadKey, importPeerEphemeral, importVerifyKey, open, seal, SIZES, verifyRaw } from "@/lib/crypto/primitives";

import {
  AesGcmFile,
  attempt,
  bytes,
  EcdhEcpointFile,
  EcdhWebcryptoFile,
  EcdsaP1363File,
  HkdfFile,
  importEcdhPrivateScalar,
  jwkToUncompressedPoint,
  loadVectors,
  refusedByConversion,
  refusedByEntryPoint,
  sameHex,
  Tally,
  type Outcome,
} from "./wycheproof-support";

// Each group takes < 0.5 s on a 2-core machine; leave room for a slow CI runner.
const SLOW = { timeout: 30_000 };

/** One `it` at the end of each file's describe: nothing skipped, something refused. */
function itRanEveryCase(tally: Tally): void {
  it("ran every case of the file and refused at least one invalid case", async ({ annotate }) => {
    await annotate(tally.summary());
    tally.expectComplete();
  });
}

/** importPeerEphemeral(peer point) then ecdh(our static key, peer): the shared secret, or a refusal. */
function agree(privateD: Uint8Array, peerPoint: Uint8Array): Promise<Outcome<Bytes>> {
  return attempt(async () => {
    // The static private key is test scaffolding (Parley only ever generates ephemeral keys); it is
    // imported outside lib/crypto and never throws a ProtocolError, so a refusal is lib/crypto's.
    const privateKey = await importEcdhPrivateScalar(privateD);
    const peer = await importPeerEphemeral(peerPoint);
    return ecdh(privateKey, peer);
  });
}

describe("Wycheproof ECDH P-256, raw EC points (ecdh_secp256r1_ecpoint_test.json)", SLOW, () => {
  const file = loadVectors("ecdh_secp256r1_ecpoint_test.json", EcdhEcpointFile);
  const tally = new Tally(file.numberOfTests);

  file.testGroups.forEach((group, g) => {
    it(`group ${g}: ${group.curve}, ${group.encoding} (${group.tests.length} cases)`, async () => {
      for (const tc of group.tests) {
        const point = bytes(tc.public);
        const outcome = await agree(bytes(tc.private), point);
        // PROTOCOL §2: ephemeral keys are 65-byte uncompressed points; a compressed point (which
        // Wycheproof rates `acceptable`) or any other encoding must be refused by Parley.
        const uncompressed = point.length === SIZES.point && point[0] === 0x04;
        tally.judge(tc, outcome, (shared) => sameHex(shared, tc.shared, "shared secret"), uncompressed ? undefined : "Parley accepts only 65-byte uncompressed points");
      }
      tally.expectNoFailures();
    });
  });

  itRanEveryCase(tally);
});

describe("Wycheproof ECDH P-256, WebCrypto JWKs (ecdh_secp256r1_webcrypto_test.json)", SLOW, () => {
  const file = loadVectors("ecdh_secp256r1_webcrypto_test.json", EcdhWebcryptoFile);
  const tally = new Tally(file.numberOfTests);

  // Parley has no JWK entry point. A public JWK goes to importPeerEphemeral as the raw point
  // 04‖x‖y only when kty is "EC", crv "P-256" and x, y are canonical base64url of exactly 32 bytes
  // each (jwkToUncompressedPoint); any other JWK is counted as refused "by conversion" without
  // reaching lib/crypto. Whether the point lies on the curve is left to lib/crypto. The private JWK
  // contributes only its d (imported the same way as in the ecpoint file).
  file.testGroups.forEach((group, g) => {
    it(`group ${g}: ${group.curve}, ${group.encoding} (${group.tests.length} cases)`, async () => {
      for (const tc of group.tests) {
        const point = jwkToUncompressedPoint(tc.public);
        const outcome = point ? await agree(fromBase64Url(tc.private.d), point) : refusedByConversion(`not a P-256 point JWK (crv ${tc.public.crv})`);
        tally.judge(tc, outcome, (shared) => sameHex(shared, tc.shared, "shared secret"));
      }
      tally.expectNoFailures();
    });
  });

  // Self-check of the test scaffolding: the PKCS#8 key built from d alone is the key Wycheproof
  // describes (its public point equals the private JWK's x, y).
  it("test support: a private key imported from d alone has the private JWK's public point", async () => {
    const mismatches: number[] = [];
    for (const tc of file.testGroups.flatMap((group) => group.tests)) {
      const jwk = await subtle().exportKey("jwk", await importEcdhPrivateScalar(fromBase64Url(tc.private.d), true));
      if (jwk.x !== tc.private.x || jwk.y !== tc.private.y) mismatches.push(tc.tcId);
    }
    expect(mismatches).toEqual([]);
  });

  itRanEveryCase(tally);
});

describe("Wycheproof ECDSA P-256 SHA-256, P1363 signatures (ecdsa_secp256r1_sha256_p1363_test.json)", SLOW, () => {
  const file = loadVectors("ecdsa_secp256r1_sha256_p1363_test.json", EcdsaP1363File);
  const tally = new Tally(file.numberOfTests);

  file.testGroups.forEach((group, g) => {
    it(`group ${g}: key ${group.publicKeyDer.slice(-16)}… (${group.tests.length} cases)`, async () => {
      // importVerifyKey takes only a 91-byte P-256 SPKI; a group whose key it refuses counts every
      // one of its cases as refused (so a `valid` case there fails the test).
      const spki = bytes(group.publicKeyDer);
      const key = await attempt(() => importVerifyKey(spki));
      for (const tc of group.tests) {
        let outcome: Outcome<true>;
        if (key.kind !== "accepted") outcome = key;
        else {
          try {
            // verifyRaw promises never to throw: any exception lands in "crashed".
            outcome = (await verifyRaw(key.value, bytes(tc.msg), bytes(tc.sig))) ? { kind: "accepted", value: true } : refusedByEntryPoint("verifyRaw returned false");
          } catch (error) {
            outcome = { kind: "crashed", error };
          }
        }
        tally.judge(tc, outcome, () => undefined, spki.length === 91 ? undefined : "a P-256 SPKI is 91 bytes");
      }
      tally.expectNoFailures();
    });
  });

  itRanEveryCase(tally);
});

describe("Wycheproof AES-GCM (aes_gcm_test.json)", SLOW, () => {
  const file = loadVectors("aes_gcm_test.json", AesGcmFile);
  const tally = new Tally(file.numberOfTests);

  file.testGroups.forEach((group, g) => {
    // Parley's profile: AES-256-GCM, 96-bit IV, 128-bit tag. Every other group must be refused.
    const inProfile = group.keySize === 256 && group.ivSize === 96 && group.tagSize === 128;
    const name = `group ${g}: ${group.keySize}-bit key, ${group.ivSize}-bit IV, ${group.tagSize}-bit tag (${group.tests.length} cases)`;
    it(inProfile ? `${name}: our profile, must match` : `${name}: outside our profile, must be refused`, async () => {
      for (const tc of group.tests) {
        const key = bytes(tc.key);
        const iv = bytes(tc.iv);
        const aad = bytes(tc.aad);
        const msg = bytes(tc.msg);
        const tag = bytes(tc.tag);
        if (key.length * 8 !== group.keySize || iv.length * 8 !== group.ivSize || tag.length * 8 !== group.tagSize) {
          tally.fail(tc, "the case's key/IV/tag sizes differ from its group's (vector file damaged?)");
        }
        const sealedExpected = concat(bytes(tc.ct), tag);
        const opened = await attempt(async () => open(await importAeadKey(key), iv, sealedExpected, aad));

        if (inProfile) {
          tally.judge(tc, opened, (plaintext) => sameHex(plaintext, tc.msg, "plaintext"));
          if (tc.result === "valid") {
            // Encryption must give Wycheproof's ciphertext‖tag exactly, with the IV passed through.
            const sealed = await attempt(async () => seal(await importAeadKey(key), msg, aad, iv));
            if (sealed.kind !== "accepted") tally.fail(tc, `seal did not accept a valid case (${sealed.kind})`);
            else {
              const mismatch = sameHex(sealed.value.ciphertext, tc.ct + tc.tag, "seal: ciphertext‖tag") ?? sameHex(sealed.value.iv, tc.iv, "seal: IV");
              if (mismatch) tally.fail(tc, mismatch);
            }
          }
          continue;
        }

        // Outside the profile: nothing may be accepted, valid or not.
        tally.judge(tc, opened, () => undefined, "it is outside Parley's AES-256-GCM/96-bit-IV/128-bit-tag profile");
        if (key.length !== SIZES.aesKey) {
          const imported = await attempt(() => importAeadKey(key));
          if (imported.kind !== "refused") tally.fail(tc, `importAeadKey did not refuse a ${key.length * 8}-bit key (${imported.kind})`);
        }
        if (iv.length !== SIZES.iv) {
          // With a key that imports, the IV size alone must make open and seal refuse.
          const k = await importAeadKey(key.length === SIZES.aesKey ? key : new Uint8Array(SIZES.aesKey).fill(0x5a));
          const o = await attempt(() => open(k, iv, sealedExpected, aad));
          const s = await attempt(() => seal(k, msg, aad, iv));
          if (o.kind !== "refused") tally.fail(tc, `open did not refuse a ${iv.length * 8}-bit IV (${o.kind})`);
          if (s.kind !== "refused") tally.fail(tc, `seal did not refuse a ${iv.length * 8}-bit IV (${s.kind})`);
        }
      }
      tally.expectNoFailures();
    });
  });

  itRanEveryCase(tally);
});

describe("Wycheproof HKDF-SHA-256 (hkdf_sha256_test.json)", SLOW, () => {
  const file = loadVectors("hkdf_sha256_test.json", HkdfFile);
  const tally = new Tally(file.numberOfTests);

  file.testGroups.forEach((group, g) => {
    it(`group ${g}: ${group.keySize}-bit IKM (${group.tests.length} cases)`, async () => {
      for (const tc of group.tests) {
        const outcome = await attempt(() => hkdf(bytes(tc.ikm), bytes(tc.salt), bytes(tc.info), tc.size));
        tally.judge(tc, outcome, (okm) => sameHex(okm, tc.okm, "okm"));
      }
      tally.expectNoFailures();
    });
  });

  itRanEveryCase(tally);
});
