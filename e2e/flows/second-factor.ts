// A doctor's second browser profile, signed in with an authenticator code: what restoring a key
// backup and linking a device ask for (a sign-in with a second factor).
import { expect, type Browser, type BrowserContext, type Page, type PlaywrightWorkerArgs } from "@playwright/test";
import { totpStartAnswer } from "../../lib/shared/factors";
import { totpCode } from "../support/authenticators";
import { dispose, send, signInStaff } from "../support/api";
import type { StaffAccount } from "../support/db";
import { signIn } from "./consult";

/** Adds an authenticator app to the account (over the API); returns its secret. */
export async function addAuthenticator(playwright: PlaywrightWorkerArgs["playwright"], baseURL: string, account: StaffAccount): Promise<string> {
  const api = await signInStaff(playwright, baseURL, account.email, account.password);
  try {
    const secret = totpStartAnswer.parse(JSON.parse((await send(api, { method: "POST", path: "/api/account/totp", data: {} })).text)).secret;
    expect((await send(api, { method: "POST", path: "/api/account/totp/confirm", data: { code: totpCode(secret) } })).status).toBe(200);
    return secret;
  } finally {
    await dispose(api);
  }
}

/**
 * A new browser profile signed in with the password and a code. `step` moves the code's time on,
 * so two sign-ins in a row do not reuse one code (the server refuses a code used before).
 */
export async function signInWithCode(browser: Browser, baseURL: string | undefined, account: StaffAccount, secret: string, step = 1): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, account.email, account.password);
  await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
  await page.locator('input[name="code"]').fill(totpCode(secret, Date.now() + step * 30_000));
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/dashboard$/);
  return { context, page };
}
