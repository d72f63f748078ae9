// lib/server/auth/recovery-codes.ts: 50-bit Crockford base32 codes, stored as SHA-256 of the normalised code.
import { createHash } from "node:crypto";

import { describe, expect, it } from "vitest";

import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from "@/lib/server/auth/recovery-codes";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SHOWN = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;
const sha256 = (s: string) => new Uint8Array(createHash("sha256").update(s, "utf8").digest());

describe("newRecoveryCodes", () => {
  it("makes 10 distinct codes shown as XXXXX-XXXXX, with their hashes in the same order", () => {
    const { codes, hashes } = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(SHOWN);
    expect(hashes).toHaveLength(10);
    hashes.forEach((hash, i) => {
      expect(hash).toBeInstanceOf(Uint8Array);
      expect(hash).toHaveLength(32);
      expect(hash).toEqual(sha256(codes[i]!.replace("-", "")));
      expect(hash).toEqual(hashRecoveryCode(codes[i]!));
    });
    expect(new Set(hashes.map((h) => Buffer.from(h).toString("hex"))).size).toBe(10);
  });

  it("makes fresh codes each time", () => {
    const a = newRecoveryCodes().codes;
    const b = newRecoveryCodes().codes;
    expect(a.filter((c) => b.includes(c))).toEqual([]);
  });

  it("takes a count, within reason", () => {
    expect(newRecoveryCodes(3).codes).toHaveLength(3);
    expect(newRecoveryCodes(1).hashes).toHaveLength(1);
    for (const n of [0, -1, 2.5, 101, Number.NaN]) expect(() => newRecoveryCodes(n)).toThrow(RangeError);
  });

  it("uses the whole alphabet (5 bits per character)", () => {
    const seen = new Set(
      Array.from({ length: 30 }, () => newRecoveryCodes().codes.join(""))
        .join("")
        .replace(/-/g, ""),
    );
    // 3000 characters: the chance that one of 32 never appears is about 32·(31/32)^3000, nil.
    expect([...seen].sort().join("")).toBe(CROCKFORD);
  });

  it("gives codes that normalise to themselves without the dash", () => {
    for (const code of newRecoveryCodes().codes) expect(normaliseRecoveryCode(code)).toBe(code.replace("-", ""));
  });
});

describe("normaliseRecoveryCode", () => {
  it.each([
    ["ABCDE-FGHJK", "ABCDEFGHJK"],
    ["abcde-fghjk", "ABCDEFGHJK"],
    ["abcdefghjk", "ABCDEFGHJK"],
    [" ABCDE FGHJK ", "ABCDEFGHJK"],
    ["ab-cd-ef-gh-jk", "ABCDEFGHJK"],
    ["ABCDE\u2013FGHJK", "ABCDEFGHJK"], // an en dash from a word processor
    ["ABCDE\tFGHJK\n", "ABCDEFGHJK"],
  ])("%j → %s", (input, out) => {
    expect(normaliseRecoveryCode(input)).toBe(out);
  });

  it.each([
    ["IiLlO-oOabc", "1111000ABC"],
    ["ILO01-ilo01", "1100111001"],
    ["lllll-ooooo", "1111100000"],
  ])("reads Crockford's aliases I/L as 1 and O as 0: %j → %s", (input, out) => {
    expect(normaliseRecoveryCode(input)).toBe(out);
  });

  it.each([
    "",
    "-",
    "ABCDE-FGHJ", // 9
    "ABCDE-FGHJKM", // 11
    "ABCDE-FGHJU", // U is not in Crockford's alphabet
    "ABCDE-FGHJ*",
    "ABCDE_FGHJK",
    "ABCDE.FGHJK",
    "ABCDE-FGHJı", // dotless i upper-cases to I
    "ABCDE-FGHJſ", // long s upper-cases to S
    "ＡBCDE-FGHJK", // full-width A
    "ABCDE-FGHJ\u0000",
    `ABCDE-FGHJK${" ".repeat(100)}`,
  ])("refuses %j", (input) => {
    expect(normaliseRecoveryCode(input)).toBeUndefined();
  });
});

describe("hashRecoveryCode", () => {
  it("hashes the normalised code", () => {
    const h = hashRecoveryCode("abcde-fghjk");
    expect(h).toEqual(hashRecoveryCode("ABCDEFGHJK"));
    expect(h).toEqual(sha256("ABCDEFGHJK"));
    expect(h).not.toEqual(hashRecoveryCode("ABCDEFGHJM"));
  });

  it("treats aliases as their digits", () => {
    expect(hashRecoveryCode("ILO00-lio1O")).toEqual(sha256("1100011010"));
    expect(hashRecoveryCode("OOOOO-IIIII")).toEqual(hashRecoveryCode("00000-11111"));
  });

  it("hashes what is not a code as given, so it matches no stored code and does not throw", () => {
    expect(hashRecoveryCode("ABCDE-FGHJU")).toEqual(sha256("ABCDE-FGHJU"));
    const { hashes } = newRecoveryCodes();
    const garbage = hashRecoveryCode("not a code");
    for (const h of hashes) expect(garbage).not.toEqual(h);
  });
});
