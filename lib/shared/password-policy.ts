// The rules for a new staff password, shared by the browser (to answer before a round trip) and
// the server (which decides). As in NIST SP 800-63B: length rather than composition rules, and a
// refusal of what attackers try first (common passwords, the account's own email or name).
// Passwords are hashed in their NFKC form (lib/server/auth/password.ts), so that form is judged.
import { z } from "zod";
import { COMMON_PASSWORDS } from "./common-passwords";

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordContext = { email?: string | undefined; name?: string | undefined };

const TOO_LONG = `This password is too long: use at most ${MAX_PASSWORD_LENGTH} characters.`;

/** Lower-case NFKC without white space: how a password is compared with the account's own details. */
const squash = (s: string) => s.normalize("NFKC").toLowerCase().replace(/\s+/gu, "");

/** What is wrong with `pw` as a new password, and what to do instead; undefined if it is fine. */
export function passwordProblem(pw: string, context: PasswordContext = {}): string | undefined {
  // NFKC can lengthen a string; this bound keeps a huge input from being normalised at all.
  if (pw.length > MAX_PASSWORD_LENGTH * 4) return TOO_LONG;
  const normal = pw.normalize("NFKC");
  // Characters as a person counts them: code points, so an emoji or an accented letter is one.
  const length = Array.from(normal).length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `This password is too short: use at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a long password that is easy to remember.`;
  }
  if (length > MAX_PASSWORD_LENGTH) return TOO_LONG;
  const folded = normal.toLowerCase();
  if (new Set(folded).size === 1) {
    return "This password repeats a single character: choose one that is harder to guess, such as a few unrelated words.";
  }
  const { email, name } = context;
  const own = [email, email?.slice(0, Math.max(0, email.lastIndexOf("@"))), name].filter((s): s is string => !!s?.trim()).map(squash);
  if (own.includes(squash(pw))) {
    return "This password is your email address or name, which attackers try first: choose another.";
  }
  if (COMMON_PASSWORDS.has(folded)) {
    return "This is one of the most common passwords, which attackers try first: choose another, such as a few unrelated words.";
  }
  return undefined;
}

/** A new password without the account's details; check those with `passwordProblem(pw, { email, name })`. */
export const newPasswordSchema = z.string().superRefine((pw, ctx) => {
  const problem = passwordProblem(pw);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
