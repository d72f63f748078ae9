// lib/server/auth/sealed-secret.ts: AES-256-GCM under HKDF(AUTH_SECRET), bound to the user id.
import { createDecipheriv, hkdfSync } from "node:crypto";

import { describe, expect, it } from "vitest";

import { openSecret, sealSecret } from "@/lib/server/auth/sealed-secret";

const KEY = "a-test-auth-secret-of-at-least-32-chars!";
const OTHER_KEY = "another-test-auth-secret-of-32-chars!!";
const USER = "7d0c3c1e-5b7e-4f0e-9a51-0f6f3c1b2a10";
const OTHER_USER = "7d0c3c1e-5b7e-4f0e-9a51-0f6f3c1b2a11";
const TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

const FORM = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)$/;

/** Replaces the character at `at` of `s` with another base64url character. */
function flip(s: string, at: number): string {
  const c = s[at] === "A" ? "B" : "A";
  return s.slice(0, at) + c + s.slice(at + 1);
}

function parts(sealed: string): [string, string, string] {
  const [v = "", iv = "", body = ""] = sealed.split(".");
  return [v, iv, body];
}

describe("sealSecret / openSecret", () => {
  it.each([TOTP_SECRET, "", "ünïcødé ✓ 🔐", "x".repeat(1000)])("round-trips %j", (plain) => {
    const sealed = sealSecret(plain, KEY, USER);
    expect(openSecret(sealed, KEY, USER)).toBe(plain);
  });

  it("has the written form: v1, a 12-byte IV, ciphertext plus a 16-byte tag", () => {
    const sealed = sealSecret(TOTP_SECRET, KEY, USER);
    const m = FORM.exec(sealed);
    expect(m).not.toBeNull();
    expect(Buffer.from(m![1]!, "base64url")).toHaveLength(12);
    expect(Buffer.from(m![2]!, "base64url")).toHaveLength(TOTP_SECRET.length + 16);
    expect(sealed).not.toContain(TOTP_SECRET);
  });

  it("uses the key HKDF-SHA256(AUTH_SECRET, salt parley/factor-seal, info parley/v1/factor-secret) and the aad as written", () => {
    const [, iv, body] = parts(sealSecret(TOTP_SECRET, KEY, USER));
    const key = Buffer.from(hkdfSync("sha256", KEY, "parley/factor-seal", "parley/v1/factor-secret", 32));
    const bytes = Buffer.from(body, "base64url");
    const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: 16 });
    d.setAAD(Buffer.from(USER, "utf8"));
    d.setAuthTag(bytes.subarray(-16));
    expect(Buffer.concat([d.update(bytes.subarray(0, -16)), d.final()]).toString("utf8")).toBe(TOTP_SECRET);
  });

  it("gives a different sealed value each time for the same secret", () => {
    const a = sealSecret(TOTP_SECRET, KEY, USER);
    const b = sealSecret(TOTP_SECRET, KEY, USER);
    expect(a).not.toBe(b);
    expect(parts(a)[1]).not.toBe(parts(b)[1]);
    expect(openSecret(a, KEY, USER)).toBe(TOTP_SECRET);
    expect(openSecret(b, KEY, USER)).toBe(TOTP_SECRET);
  });

  it("does not open under another AUTH_SECRET", () => {
    expect(openSecret(sealSecret(TOTP_SECRET, KEY, USER), OTHER_KEY, USER)).toBeUndefined();
  });

  it("does not open for another user (aad)", () => {
    const sealed = sealSecret(TOTP_SECRET, KEY, USER);
    expect(openSecret(sealed, KEY, OTHER_USER)).toBeUndefined();
    expect(openSecret(sealed, KEY, "")).toBeUndefined();
    expect(openSecret(sealSecret(TOTP_SECRET, KEY, ""), KEY, USER)).toBeUndefined();
  });

  describe("refuses altered values", () => {
    const sealed = sealSecret(TOTP_SECRET, KEY, USER);
    const [v, iv, body] = parts(sealed);

    it.each([0, 7, 15])("IV character %i changed", (at) => {
      expect(openSecret(`${v}.${flip(iv, at)}.${body}`, KEY, USER)).toBeUndefined();
    });

    it("ciphertext characters changed (start, middle, in the tag)", () => {
      for (const at of [0, Math.floor(body.length / 2), body.length - 5]) {
        expect(openSecret(`${v}.${iv}.${flip(body, at)}`, KEY, USER)).toBeUndefined();
      }
    });

    it("a non-canonical spelling of the last ciphertext character", () => {
      // 3 + 16 = 19 bytes: 26 characters, the last carrying 2 bits and 4 spare ones.
      const odd = sealSecret("odd", KEY, USER);
      const [ov, oiv, obody] = parts(odd);
      const last = obody.at(-1)!;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const sibling = alphabet[alphabet.indexOf(last) ^ 1]!; // differs only in a spare bit
      const respelled = `${ov}.${oiv}.${obody.slice(0, -1)}${sibling}`;
      expect(Buffer.from(respelled.split(".")[2]!, "base64url").equals(Buffer.from(obody, "base64url"))).toBe(true);
      expect(openSecret(respelled, KEY, USER)).toBeUndefined();
      expect(openSecret(odd, KEY, USER)).toBe("odd");
    });

    it("truncated", () => {
      for (const cut of [1, 4, 22, body.length - 1, body.length]) {
        expect(openSecret(`${v}.${iv}.${body.slice(0, body.length - cut)}`, KEY, USER)).toBeUndefined();
      }
      expect(openSecret(`${v}.${iv}`, KEY, USER)).toBeUndefined();
      expect(openSecret(`${v}.${iv.slice(0, -1)}.${body}`, KEY, USER)).toBeUndefined();
      expect(openSecret(sealed.slice(0, -1), KEY, USER)).toBeUndefined();
    });

    it("another version, extra parts, padding or white space", () => {
      expect(openSecret(`v2.${iv}.${body}`, KEY, USER)).toBeUndefined();
      expect(openSecret(`V1.${iv}.${body}`, KEY, USER)).toBeUndefined();
      expect(openSecret(`${sealed}.`, KEY, USER)).toBeUndefined();
      expect(openSecret(`${sealed}.x`, KEY, USER)).toBeUndefined();
      expect(openSecret(`${sealed}=`, KEY, USER)).toBeUndefined();
      expect(openSecret(` ${sealed}`, KEY, USER)).toBeUndefined();
      expect(openSecret(`${sealed}\n`, KEY, USER)).toBeUndefined();
      expect(openSecret(`${v}.${iv}.${body.replace(/[-_]/g, "+")}x`, KEY, USER)).toBeUndefined();
    });
  });

  it.each(["", ".", "..", "v1", "v1..", "v1.AAAAAAAAAAAAAAAA.", "v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", "garbage", "v1.!!!!.????", "\u0000"])(
    "refuses garbage %j without throwing",
    (garbage) => {
      expect(openSecret(garbage, KEY, USER)).toBeUndefined();
    },
  );
});
