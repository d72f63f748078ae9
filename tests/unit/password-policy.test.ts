// lib/shared/password-policy.ts: the rules for a new staff password, in the browser and on the server.
import { describe, expect, it } from "vitest";

import { COMMON_PASSWORDS } from "@/lib/shared/common-passwords";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, newPasswordSchema, passwordProblem } from "@/lib/shared/password-policy";
import { newPasswordProblem } from "@/lib/server/auth/password-policy";

const GOOD = "violet kettle harbour";

describe("passwordProblem", () => {
  it("accepts a long uncommon password", () => {
    expect(passwordProblem(GOOD)).toBeUndefined();
    expect(passwordProblem(GOOD, { email: "ada@clinic.example", name: "Ada Lovelace" })).toBeUndefined();
  });

  it("refuses 11 characters and accepts 12", () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(passwordProblem("kettle-harb")).toMatch(/too short.*at least 12 characters/);
    expect(passwordProblem("kettle-harbo")).toBeUndefined();
  });

  it("counts characters of the NFKC form, not UTF-16 units", () => {
    // 11 characters in 12 UTF-16 units (one emoji is two) is still too short.
    expect("kettle-harb".replace("-", "🫖")).toHaveLength(12);
    expect(passwordProblem("kettle-harb".replace("-", "🫖"))).toMatch(/too short/);
    // Decomposed accents compose under NFKC: 13 units but 11 characters, then 12.
    expect("cafe\u0301-cafe\u0301-x").toHaveLength(13);
    expect(passwordProblem("cafe\u0301-cafe\u0301-x")).toMatch(/too short/);
    expect(passwordProblem("cafe\u0301-cafe\u0301-xy")).toBeUndefined();
  });

  it(`refuses more than ${MAX_PASSWORD_LENGTH} characters`, () => {
    expect(passwordProblem("ab".repeat(MAX_PASSWORD_LENGTH / 2))).toBeUndefined();
    expect(passwordProblem(`${"ab".repeat(MAX_PASSWORD_LENGTH / 2)}c`)).toMatch(/too long.*at most 256/);
    expect(passwordProblem("ab".repeat(1_000_000))).toMatch(/too long/);
  });

  it("refuses common passwords, whatever their case", () => {
    for (const pw of ["password1234", "PASSWORD1234", "Password1234", "qwertyuiop12", "1qaz2wsx3edc"]) {
      expect(passwordProblem(pw), pw).toMatch(/most common passwords/);
    }
    // Fullwidth letters are the same password once NFKC-normalised.
    expect(passwordProblem("ｐａｓｓｗｏｒｄ1234")).toMatch(/most common passwords/);
    expect(passwordProblem("password12345678")).toBeUndefined();
  });

  it("refuses one repeated character", () => {
    expect(passwordProblem("aaaaaaaaaaaa")).toMatch(/repeats a single character/);
    expect(passwordProblem("aAaAaAaAaAaA")).toMatch(/repeats a single character/);
    expect(passwordProblem("1".repeat(40))).toMatch(/repeats a single character/);
    expect(passwordProblem("aaaaaaaaaaab")).toBeUndefined();
  });

  it("refuses the account's email, its local part or the name", () => {
    const who = { email: "margaret.hamilton@clinic.example", name: "Margaret Hamilton" };
    expect(passwordProblem("margaret.hamilton@clinic.example", who)).toMatch(/your email address or name/);
    expect(passwordProblem("Margaret.Hamilton@Clinic.Example", who)).toMatch(/your email address or name/);
    expect(passwordProblem("margaret.hamilton", who)).toMatch(/your email address or name/);
    expect(passwordProblem("Margaret Hamilton", who)).toMatch(/your email address or name/);
    expect(passwordProblem("margarethamilton", who)).toMatch(/your email address or name/);
    expect(passwordProblem("margaret.hamilton", {})).toBeUndefined();
    expect(passwordProblem("margaret hamilton rocks", who)).toBeUndefined();
  });

  it("ignores empty context fields", () => {
    expect(passwordProblem(GOOD, { email: "", name: "  " })).toBeUndefined();
    expect(passwordProblem(GOOD, { email: "no-at-sign" })).toBeUndefined();
  });
});

describe("newPasswordSchema", () => {
  it("passes a good password through unchanged", () => {
    expect(newPasswordSchema.parse(GOOD)).toBe(GOOD);
  });

  it("fails with the policy's message", () => {
    const short = newPasswordSchema.safeParse("short");
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]?.message).toMatch(/too short/);
    expect(newPasswordSchema.safeParse("password1234").error?.issues[0]?.message).toMatch(/most common passwords/);
    expect(newPasswordSchema.safeParse(1234).success).toBe(false);
  });
});

describe("the common-password list", () => {
  it("holds only what the other rules let through, in the form it is compared in", () => {
    expect(COMMON_PASSWORDS.size).toBe(308);
    for (const pw of COMMON_PASSWORDS) {
      expect(pw, pw).toBe(pw.normalize("NFKC").toLowerCase());
      expect(Array.from(pw).length, pw).toBeGreaterThanOrEqual(MIN_PASSWORD_LENGTH);
    }
    expect(COMMON_PASSWORDS.has("p030710p$e4o")).toBe(true);
  });

  it("is what the server checks too", () => {
    expect(newPasswordProblem("password1234", {})).toMatch(/most common passwords/);
    expect(newPasswordProblem("x@clinic.example", { email: "x@clinic.example" })).toMatch(/your email address/);
  });
});
