// A doctor's other browser profiles, signed in with a second factor: what restoring a key backup
// and linking a device ask for.
import { expect, type Browser, type BrowserContext, type Page, type PlaywrightWorkerArgs } from "@playwright/test";
import { recoveryCodesAnswer, totpStartAnswer } from "../../lib/shared/factors";
import { totpCode } from "../support/authenticators";
import { dispose, send, signInStaff } from "../support/api";
import type { StaffAccount } from "../support/db";
import { signIn } from "./consult";

export type Authenticator = { secret: string; recoveryCodes: string[] };

/** Adds an authenticator app to the account (over the API): its secret and the recovery codes. */
export async function addAuthenticator(playwright: PlaywrightWorkerArgs["playwright"], baseURL: string, account: StaffAccount): Promise<Authenticator> {
  const api = await signInStaff(playwright, baseURL, account.email, account.password);
  try {
    const secret = totpStartAnswer.parse(JSON.parse((await send(api, { method: "POST", path: "/api/account/totp", data: {} })).text)).secret;
    const confirmed = await send(api, { method: "POST", path: "/api/account/totp/confirm", data: { code: totpCode(secret) } });
    expect(confirmed.status).toBe(200);
    return { secret, recoveryCodes: recoveryCodesAnswer.parse(JSON.parse(confirmed.text)).recoveryCodes };
  } finally {
    await dispose(api);
  }
}

/**
 * A new browser profile signed in with the password and a second factor: the app's next code (the
 * step after the one `addAuthenticator` used: the server refuses a code used before), or, for a
 * second sign-in within the same 30 seconds, one of the recovery codes.
 */
export async function signInWithFactor(
  browser: Browser,
  baseURL: string | undefined,
  account: StaffAccount,
  factor: { secret: string } | { recoveryCode: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, account.email, account.password);
  await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
  if ("secret" in factor) {
    await page.locator('input[name="code"]').fill(totpCode(factor.secret, Date.now() + 30_000));
  } else {
    await page.getByTestId("use-recovery-code").click();
    await page.locator('input[name="recoveryCode"]').fill(factor.recoveryCode);
  }
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/dashboard$/);
  return { context, page };
}
