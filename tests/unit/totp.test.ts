// lib/server/auth/totp.ts: RFC 6238 codes (SHA-1, 6 digits, 30 s), a ±1 step window and replay refusal.
import { createHmac } from "node:crypto";

import { describe, expect, it } from "vitest";

import { newTotpSecret, totpUri, verifyTotp } from "@/lib/server/auth/totp";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding, written out here so the test does not lean on the library. */
function base32(bytes: Uint8Array): string {
  const alphabet = BASE32;
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string): Buffer {
  const bits = [...text].map((c) => BASE32.indexOf(c).toString(2).padStart(5, "0")).join("");
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
}

/** RFC 4226 §5.3 HOTP (HMAC-SHA-1, dynamic truncation, 6 digits), independent of the module. */
function hotp(key: Uint8Array, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return String(mac.readUInt32BE(offset) & 0x7fffffff)
    .slice(-6)
    .padStart(6, "0");
}

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_KEY = Buffer.from("12345678901234567890", "ascii");
const RFC_SECRET = base32(RFC_KEY);

const RFC_VECTORS: [seconds: number, code8: string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

const stepOf = (seconds: number) => Math.floor(seconds / 30);

describe("verifyTotp: RFC 6238 Appendix B (SHA-1)", () => {
  it("converts the ASCII seed to base32 as the RFC's secret", () => {
    expect(RFC_SECRET).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });

  it.each(RFC_VECTORS)("at %i s accepts the last 6 digits of %s, reporting that step", (seconds, code8) => {
    const code = code8.slice(-6);
    expect(hotp(RFC_KEY, stepOf(seconds))).toBe(code); // the helper agrees with the RFC too
    expect(verifyTotp(RFC_SECRET, code, { now: seconds * 1000 })).toEqual({ ok: true, step: stepOf(seconds) });
  });

  it("refuses each vector's code an hour later", () => {
    for (const [seconds, code8] of RFC_VECTORS) {
      expect(verifyTotp(RFC_SECRET, code8.slice(-6), { now: (seconds + 3600) * 1000 })).toEqual({ ok: false });
    }
  });

  it("refuses the 8-digit form", () => {
    expect(verifyTotp(RFC_SECRET, "94287082", { now: 59_000 })).toEqual({ ok: false });
  });
});

describe("verifyTotp: window", () => {
  const now = 1_700_000_015_000; // the middle of a step
  const current = stepOf(now / 1000);
  const codeAt = (delta: number) => hotp(RFC_KEY, current + delta);

  it("has distinct codes for the steps used below (so the cases test what they say)", () => {
    expect(new Set([-2, -1, 0, 1, 2].map(codeAt)).size).toBe(5);
  });

  it.each([-1, 0, 1])("accepts the code of step %+i and reports its step", (delta) => {
    expect(verifyTotp(RFC_SECRET, codeAt(delta), { now })).toEqual({ ok: true, step: current + delta });
  });

  it.each([-2, 2, -10, 10])("refuses the code of step %+i", (delta) => {
    expect(verifyTotp(RFC_SECRET, codeAt(delta), { now })).toEqual({ ok: false });
  });

  it("counts steps from the unix epoch at 30 s boundaries", () => {
    const boundary = current * 30_000;
    expect(verifyTotp(RFC_SECRET, codeAt(0), { now: boundary })).toEqual({ ok: true, step: current });
    expect(verifyTotp(RFC_SECRET, codeAt(1), { now: boundary - 1 })).toEqual({ ok: false }); // two steps ahead of current - 1
    expect(verifyTotp(RFC_SECRET, codeAt(0), { now: boundary - 1 })).toEqual({ ok: true, step: current });
  });

  it("uses the clock when no time is given", () => {
    const code = hotp(RFC_KEY, stepOf(Date.now() / 1000));
    expect(verifyTotp(RFC_SECRET, code, {}).ok).toBe(true);
  });
});

describe("verifyTotp: replay", () => {
  const now = 1_700_000_015_000;
  const current = stepOf(now / 1000);
  const codeAt = (delta: number) => hotp(RFC_KEY, current + delta);

  it("refuses a code whose step was already used", () => {
    const first = verifyTotp(RFC_SECRET, codeAt(0), { now, lastUsedStep: null });
    expect(first).toEqual({ ok: true, step: current });
    expect(verifyTotp(RFC_SECRET, codeAt(0), { now, lastUsedStep: current })).toEqual({ ok: false });
    expect(verifyTotp(RFC_SECRET, codeAt(0), { now: now + 29_000, lastUsedStep: current })).toEqual({ ok: false });
  });

  it("refuses a step before the last used one, accepts a later one", () => {
    expect(verifyTotp(RFC_SECRET, codeAt(-1), { now, lastUsedStep: current })).toEqual({ ok: false });
    expect(verifyTotp(RFC_SECRET, codeAt(-1), { now, lastUsedStep: current - 1 })).toEqual({ ok: false });
    expect(verifyTotp(RFC_SECRET, codeAt(-1), { now, lastUsedStep: current - 2 })).toEqual({ ok: true, step: current - 1 });
    expect(verifyTotp(RFC_SECRET, codeAt(1), { now, lastUsedStep: current })).toEqual({ ok: true, step: current + 1 });
  });
});

describe("verifyTotp: input", () => {
  const now = 59_000;

  it.each(["287 082", " 287082 ", "28 70 82", "287\t082", "287\u00a0082"])("accepts white space: %j", (code) => {
    expect(verifyTotp(RFC_SECRET, code, { now })).toEqual({ ok: true, step: 1 });
  });

  it.each(["", "28708", "2870820", "0287082", "28708a", "287-082", "２８７０８２", "+87082", "28708 ", "abcdef"])("refuses %j", (code) => {
    expect(verifyTotp(RFC_SECRET, code, { now })).toEqual({ ok: false });
  });

  it("throws for a malformed or short secret rather than checking against a guessable key", () => {
    expect(() => verifyTotp("", "287082", { now })).toThrow(TypeError);
    expect(() => verifyTotp("GEZDGNBV", "287082", { now })).toThrow(TypeError);
    expect(() => verifyTotp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ!", "287082", { now })).toThrow(TypeError);
  });
});

describe("newTotpSecret", () => {
  it("is 20 random bytes in base32", () => {
    const a = newTotpSecret();
    const b = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(a).not.toBe(b);
  });

  it("gives a secret whose codes verify", () => {
    const secret = newTotpSecret();
    const key = fromBase32(secret);
    expect(key).toHaveLength(20);
    expect(base32(key)).toBe(secret);
    const now = 1_700_000_000_000;
    expect(verifyTotp(secret, hotp(key, stepOf(now / 1000)), { now }).ok).toBe(true);
  });
});

describe("totpUri", () => {
  it("carries issuer, account, secret and the parameters", () => {
    const uri = totpUri(RFC_SECRET, "dr.ada@example.com");
    const url = new URL(uri);
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/Parley:dr.ada@example.com");
    expect(url.searchParams.get("issuer")).toBe("Parley");
    expect(url.searchParams.get("secret")).toBe(RFC_SECRET);
    expect(url.searchParams.get("algorithm")).toBe("SHA1");
    expect(url.searchParams.get("digits")).toBe("6");
    expect(url.searchParams.get("period")).toBe("30");
  });

  it("takes another issuer and escapes what needs it", () => {
    const url = new URL(totpUri(RFC_SECRET, "a b:c", "Parley Test"));
    expect(decodeURIComponent(url.pathname)).toBe("/Parley Test:a b:c");
    expect(url.searchParams.get("issuer")).toBe("Parley Test");
  });
});
