// lib/server/auth/password.ts: argon2id hashes in the PHC format; legacy scrypt hashes still verify.
import { hash as argon2Hash } from "@node-rs/argon2";
import { beforeAll, describe, expect, it } from "vitest";

import { dummyHash, hashPassword, needsRehash, verifyPassword } from "@/lib/server/auth/password";

// Each hash or verify (argon2id m=64 MiB, t=3; scrypt N=2^15) costs tens of milliseconds: hash once, reuse.
const PASSWORD = "correct horse battery staple";
let stored: string;

beforeAll(async () => {
  stored = await hashPassword(PASSWORD);
});

/** A hash of PASSWORD by the scrypt code this module had before argon2id (verified against it). */
const LEGACY = "scrypt$15$8$1$rZhGumUdapmkvB5Z2biFHvsUlK76Qi9Vn060nq19mWY$xif9vDyeC5a79Uphct5cENxMfjH38BvLyDWTwJyktYw";

/** Replaces field `i` of a `$`-separated string (argon2id: 1 = algorithm, 3 = params, 4 = salt, 5 = hash). */
function withField(hash: string, i: number, value: string): string {
  const parts = hash.split("$");
  parts[i] = value;
  return parts.join("$");
}

/** Flips one character of a base64 string to another valid one. */
function flip(s: string, at = 0): string {
  const c = s[at] === "A" ? "B" : "A";
  return s.slice(0, at) + c + s.slice(at + 1);
}

/** Argon2id with other parameters, as an older policy (or a later one) would have stored it. */
function argon2With(memoryCost: number, timeCost: number, parallelism = 1): Promise<string> {
  return argon2Hash(PASSWORD, { algorithm: 2, memoryCost, timeCost, parallelism, outputLen: 32 });
}

describe("hashPassword / verifyPassword", () => {
  it("round-trips", async () => {
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
  });

  it("refuses a wrong password", async () => {
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("stores $argon2id$v=19$m=65536,t=3,p=1$<16-byte salt>$<32-byte hash>", () => {
    const m = /^\$argon2id\$v=19\$m=65536,t=3,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
    expect(m).not.toBeNull();
    expect(Buffer.from(m?.[1] ?? "", "base64")).toHaveLength(16);
    expect(Buffer.from(m?.[2] ?? "", "base64")).toHaveLength(32);
  });

  it("salts every hash", async () => {
    const again = await hashPassword(PASSWORD);
    expect(again).not.toBe(stored);
    expect(again.split("$")[4]).not.toBe(stored.split("$")[4]);
  });

  it("refuses a tampered hash, salt or cost", async () => {
    const hash = stored.split("$")[5] ?? "";
    const salt = stored.split("$")[4] ?? "";
    expect(await verifyPassword(PASSWORD, withField(stored, 5, flip(hash)))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 5, flip(hash, 20)))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 4, flip(salt)))).toBe(false);
    // Lower costs compute a different key.
    expect(await verifyPassword(PASSWORD, withField(stored, 3, "m=65536,t=2,p=1"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 3, "m=32768,t=3,p=1"))).toBe(false);
  });

  it("refuses stored values that are not hashes", async () => {
    expect(await verifyPassword(PASSWORD, "")).toBe(false);
    expect(await verifyPassword(PASSWORD, PASSWORD)).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 1, "argon2i"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 1, "bcrypt"))).toBe(false);
    expect(await verifyPassword(PASSWORD, stored.split("$").slice(0, 5).join("$"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 5, ""))).toBe(false);
  });

  // A corrupt row must answer false, not make sign-in answer 500 (or spend a minute of CPU).
  it("answers false (does not throw) for corrupt argon2id strings", async () => {
    const corrupt = [
      withField(stored, 2, "v=16"),
      withField(stored, 3, "m=abc,t=3,p=1"),
      withField(stored, 3, "m=0,t=3,p=1"),
      withField(stored, 3, "m=65536,t=0,p=1"),
      withField(stored, 3, "m=65536,t=3,p=0"),
      withField(stored, 3, "m=9999999,t=3,p=1"),
      withField(stored, 3, "m=65536,t=99,p=1"),
      withField(stored, 3, "t=3,m=65536,p=1"),
      withField(stored, 4, "!!!!!!!!!!!!!!!!!!!!!!"),
      withField(stored, 4, "AAAA"),
      withField(stored, 5, `${stored.split("$")[5] ?? ""}=`),
      `${stored}$`,
      ` ${stored}`,
    ];
    for (const bad of corrupt) {
      await expect(verifyPassword(PASSWORD, bad), bad).resolves.toBe(false);
      expect(() => needsRehash(bad), bad).not.toThrow();
      expect(needsRehash(bad), bad).toBe(false);
    }
  });

  it("normalises unicode (NFKC) before hashing", async () => {
    const composed = "café-\u00e9";
    const decomposed = "cafe\u0301-e\u0301";
    expect(composed).not.toBe(decomposed);
    const h = await hashPassword(composed);
    expect(await verifyPassword(decomposed, h)).toBe(true);
    // NFKC also folds compatibility forms: the "ﬁ" ligature is "fi".
    const lig = await hashPassword("\ufb01sh-and-chips");
    expect(await verifyPassword("fish-and-chips", lig)).toBe(true);
    expect(await verifyPassword("fosh-and-chips", lig)).toBe(false);
  });

  it("dummyHash is a valid, stable, current hash no short password matches", async () => {
    const d = await dummyHash();
    expect(await dummyHash()).toBe(d);
    expect(d).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
    expect(needsRehash(d)).toBe(false);
    expect(await verifyPassword("", d)).toBe(false);
  });
});

describe("legacy scrypt hashes", () => {
  it("verify, and refuse a wrong password", async () => {
    expect(await verifyPassword(PASSWORD, LEGACY)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", LEGACY)).toBe(false);
  });

  it("refuse a tampered hash, salt or cost", async () => {
    expect(await verifyPassword(PASSWORD, withField(LEGACY, 5, flip(LEGACY.split("$")[5] ?? "")))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(LEGACY, 4, flip(LEGACY.split("$")[4] ?? "")))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(LEGACY, 1, "14"))).toBe(false);
  });

  // Regression: corrupt stored cost parameters made scrypt throw, so sign-in answered 500.
  it("answer false (do not throw) for corrupt cost parameters", async () => {
    for (const bad of [withField(LEGACY, 1, "abc"), withField(LEGACY, 1, "0"), withField(LEGACY, 1, "40"), withField(LEGACY, 2, "x")]) {
      await expect(verifyPassword(PASSWORD, bad)).resolves.toBe(false);
      expect(needsRehash(bad)).toBe(false);
    }
  });
});

describe("needsRehash", () => {
  it("is false for a hash with the current parameters", () => {
    expect(needsRehash(stored)).toBe(false);
  });

  it("is true for every legacy scrypt hash", () => {
    expect(needsRehash(LEGACY)).toBe(true);
    expect(needsRehash(withField(LEGACY, 1, "17"))).toBe(true);
  });

  it("is true for argon2id hashes weaker than the current parameters, which still verify", async () => {
    for (const weaker of [await argon2With(19456, 2), await argon2With(65536, 2), await argon2With(32768, 3)]) {
      expect(await verifyPassword(PASSWORD, weaker), weaker).toBe(true);
      expect(needsRehash(weaker), weaker).toBe(true);
    }
  });

  it("is false for argon2id hashes at least as strong, whatever their lanes", async () => {
    expect(needsRehash(await argon2With(65536, 4))).toBe(false);
    expect(needsRehash(await argon2With(131072, 3))).toBe(false);
    expect(needsRehash(await argon2With(65536, 3, 4))).toBe(false);
  });

  it("is false for strings that are not hashes", () => {
    for (const s of ["", PASSWORD, "scrypt$", "$argon2id$", "$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A".repeat(43)]) {
      expect(needsRehash(s)).toBe(false);
    }
  });
});
