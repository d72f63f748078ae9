// Second factors for end-to-end tests: Chromium's virtual WebAuthn authenticator (CDP
// `WebAuthn.addVirtualAuthenticator`, a platform authenticator with a resident key and user
// verification, answering without a prompt) and codes from an authenticator app (otpauth, as the
// phone would compute them).
import type { Page } from "@playwright/test";
import * as OTPAuth from "otpauth";

/** Gives the page a passkey authenticator; its passkeys live as long as the page. */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

/** The code an authenticator app shows for `secret` (base32) at `at` (ms). */
export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });
}
