// zod schemas for second factors (passkeys, an authenticator app, recovery codes) and the second
// sign-in step, shared by the route handlers and the browser.
import { z } from "zod";
import type { AuthenticationResponseJSON } from "@simplewebauthn/browser";
import { uuid } from "./api";

export const staffMfa = z.enum(["off", "optional", "required"]);
export type StaffMfa = z.infer<typeof staffMfa>;

export type PasskeyView = { id: string; name: string; createdAt: string; lastUsedAt: string | null; synced: boolean };

/** WebAuthn JSON as @simplewebauthn/browser produces it; the library checks every field. */
const webAuthnJson = z.record(z.string(), z.json());

export const passkeyOptionsAnswer = z.object({ challengeId: uuid, options: webAuthnJson });
export const addPasskeyBody = z
  .object({
    challengeId: uuid,
    response: webAuthnJson,
    name: z
      .string()
      .transform((s) => s.normalize("NFC").replace(/\s+/g, " ").trim())
      .pipe(z.string().min(1).max(60)),
  })
  .strict();
export const passkeyParams = z.object({ id: uuid });

/** A passkey sign-in as next-auth's credentials form carries it: the assertion as a JSON string. */
export const passkeySignInBody = z.object({
  challengeId: uuid,
  response: z
    .string()
    .max(16_384)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as AuthenticationResponseJSON;
      } catch {
        ctx.addIssue({ code: "custom", message: "not JSON" });
        return z.NEVER;
      }
    })
    .pipe(z.custom<AuthenticationResponseJSON>((v) => typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" && (v as { type?: unknown }).type === "public-key")),
});

export const totpCode = z.string().regex(/^\s*\d{3}\s?\d{3}\s*$/, "Enter the 6 digits your app shows");
export const recoveryCode = z.string().regex(/^[\s0-9A-Za-z-]{10,14}$/, "Enter a recovery code like ABCDE-12345");

export const totpStartAnswer = z.object({ uri: z.string(), secret: z.string(), qrDataUrl: z.string() });
export const totpConfirmBody = z.object({ code: totpCode }).strict();
export const recoveryCodesAnswer = z.object({ recoveryCodes: z.array(z.string()) });

/** The second step of a password sign-in: a code from the app, or a recovery code. */
export const secondFactorBody = z.union([z.object({ code: totpCode }).strict(), z.object({ recoveryCode }).strict()]);

export const factorsView = z.object({
  passkeys: z.array(z.object({ id: uuid, name: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable(), synced: z.boolean() })),
  totp: z.boolean(),
  recoveryCodesLeft: z.number().int(),
});
export type FactorsView = z.infer<typeof factorsView>;
