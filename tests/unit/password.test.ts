// lib/server/auth/password.ts: scrypt hashes in a self-describing format.
import { beforeAll, describe, expect, it } from "vitest";

import { dummyHash, hashPassword, verifyPassword } from "@/lib/server/auth/password";

// Each scrypt call (N=2^15) costs ~50–100 ms: hash once, reuse.
const PASSWORD = "correct horse battery staple";
let stored: string;

beforeAll(async () => {
  stored = await hashPassword(PASSWORD);
});

/** Replaces field `i` of a `scrypt$logN$r$p$salt$hash` string. */
function withField(hash: string, i: number, value: string): string {
  const parts = hash.split("$");
  parts[i] = value;
  return parts.join("$");
}

/** Flips one character of a base64url string to another valid one. */
function flip(s: string, at = 0): string {
  const c = s[at] === "A" ? "B" : "A";
  return s.slice(0, at) + c + s.slice(at + 1);
}

describe("hashPassword / verifyPassword", () => {
  it("round-trips", async () => {
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
  });

  it("refuses a wrong password", async () => {
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("stores scrypt$15$8$1$<32-byte salt>$<32-byte hash>", () => {
    const m = /^scrypt\$15\$8\$1\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
    expect(m).not.toBeNull();
    expect(Buffer.from(m?.[1] ?? "", "base64url")).toHaveLength(32);
    expect(Buffer.from(m?.[2] ?? "", "base64url")).toHaveLength(32);
  });

  it("salts every hash", async () => {
    const again = await hashPassword(PASSWORD);
    expect(again).not.toBe(stored);
    expect(again.split("$")[4]).not.toBe(stored.split("$")[4]);
  });

  it("refuses a tampered hash or salt", async () => {
    const hash = stored.split("$")[5] ?? "";
    const salt = stored.split("$")[4] ?? "";
    expect(await verifyPassword(PASSWORD, withField(stored, 5, flip(hash)))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 5, flip(hash, 20)))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 4, flip(salt)))).toBe(false);
    // A lower cost factor computes a different key.
    expect(await verifyPassword(PASSWORD, withField(stored, 1, "14"))).toBe(false);
  });

  it("refuses stored values that are not scrypt hashes", async () => {
    expect(await verifyPassword(PASSWORD, "")).toBe(false);
    expect(await verifyPassword(PASSWORD, PASSWORD)).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 0, "bcrypt"))).toBe(false);
    expect(await verifyPassword(PASSWORD, stored.split("$").slice(0, 5).join("$"))).toBe(false);
    expect(await verifyPassword(PASSWORD, withField(stored, 5, ""))).toBe(false);
  });

  // Regression: corrupt stored cost parameters made scrypt throw, so sign-in answered 500.
  it("answers false (does not throw) for corrupt cost parameters", async () => {
    for (const bad of [withField(stored, 1, "abc"), withField(stored, 1, "0"), withField(stored, 1, "40"), withField(stored, 2, "x")]) {
      await expect(verifyPassword(PASSWORD, bad)).resolves.toBe(false);
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

  it("dummyHash is a valid, stable hash no short password matches", async () => {
    const d = await dummyHash();
    expect(await dummyHash()).toBe(d);
    expect(d).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(await verifyPassword("", d)).toBe(false);
  });
});
