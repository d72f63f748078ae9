// Second factors where the clinic requires them (project `mfa`: STAFF_MFA=required, TRUSTED_PROXIES=1,
// demo accounts). A password alone leads only to enrolling a factor; then a password needs a code
// from the app, or a recovery code that works once; a passkey signs in alone; and a stranger's 50
// wrong passwords from 50 addresses never stop the real user's passkey, and only delay the password.
import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn } from "./flows/consult";
import { addVirtualAuthenticator, totpCode } from "./support/authenticators";
import { dispose, send, signInStaff, SignInRefused } from "./support/api";

test.describe.configure({ mode: "serial" });

const alertOf = (page: Page) => page.locator('[role="alert"]:not(#__next-route-announcer__)');

let secret = "";
let recovery: string[] = [];

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in/);
}

test("a password alone leads only to enrolling a factor; an authenticator app then opens the dashboard", async ({ page }) => {
  await signIn(page, DEMO.doctor);
  await expect(page).toHaveURL(/\/account\/second-factor$/);
  // Nothing else is reachable before a factor exists: pages bounce back, the API refuses.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/account\/second-factor$/);
  const refused = await page.request.post("/api/consults", { data: {} });
  expect(refused.status()).toBe(403);

  await page.getByTestId("totp-add").click();
  secret = (await page.getByTestId("totp-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByTestId("totp-code").fill("000000");
  await page.getByTestId("totp-confirm").click();
  await expect(alertOf(page)).toContainText("not right");
  await page.getByTestId("totp-code").fill(totpCode(secret));
  await page.getByTestId("totp-confirm").click();
  await expect(page.getByTestId("recovery-code")).toHaveCount(10);
  recovery = (await page.getByTestId("recovery-code").allTextContents()).map((c) => c.trim());
  await page.getByTestId("recovery-codes-done").click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

test("then a password needs a code from the app; a used code or a wrong one is refused", async ({ page }) => {
  await signIn(page, DEMO.doctor);
  await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
  expect((await page.request.post("/api/consults", { data: {} })).status()).toBe(401);
  await page.locator('input[name="code"]').fill("123456");
  await page.locator('button[type="submit"]').click();
  await expect(alertOf(page)).toContainText("not right");
  // The next time step's code (the app's clock may run ahead; the confirming code used this one).
  await page.locator('input[name="code"]').fill(totpCode(secret, Date.now() + 30_000));
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/dashboard$/);
});

test("a recovery code signs in once, and never again", async ({ page }) => {
  const code = recovery[0] ?? "";
  for (const attempt of ["first", "second"] as const) {
    await signIn(page, DEMO.doctor);
    await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
    await page.getByTestId("use-recovery-code").click();
    await page.locator('input[name="recoveryCode"]').fill(code.toLowerCase());
    await page.locator('button[type="submit"]').click();
    if (attempt === "first") {
      await expect(page).toHaveURL(/\/dashboard$/);
      await signOut(page);
    } else {
      await expect(alertOf(page)).toContainText("used already");
      await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
    }
  }
});

test("the admin enrols a passkey, and 50 wrong passwords from 50 addresses stop neither the passkey nor, after the backoff, the password", async ({ page, playwright, baseURL }) => {
  test.setTimeout(120_000);
  await addVirtualAuthenticator(page);
  await signIn(page, DEMO.admin);
  await expect(page).toHaveURL(/\/account\/second-factor$/);
  await page.getByTestId("passkey-add").click();
  await expect(page).toHaveURL(/\/admin$/);
  await signOut(page);

  // The stranger: 50 wrong passwords, each from another address (this server trusts one proxy hop).
  const codes: string[] = [];
  for (let i = 0; i < 50; i++) {
    const forged = { "x-forwarded-for": `198.51.100.${i + 1}` };
    try {
      await dispose(await signInStaff(playwright, baseURL ?? "", DEMO.admin, `wrong guess ${i}`, "stranger", forged));
      codes.push("signed in");
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      codes.push(err.code);
    }
  }
  expect(codes).not.toContain("signed in");
  expect(codes).toContain("throttled");

  // The admin's passkey works at once.
  await page.getByTestId("sign-in-passkey").click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId("audit-row").filter({ hasText: "auth.sign_in_throttled" }).first()).toBeVisible();

  // And the right password, from the admin's own address, once the backoff has passed.
  const own = { "x-forwarded-for": "192.0.2.44" };
  await expect
    .poll(
      async () => {
        try {
          const actor = await signInStaff(playwright, baseURL ?? "", DEMO.admin, DEMO.password, "admin", own);
          // a password is only the first step here: the session waits for the second factor
          const status = (await send(actor, { method: "GET", path: "/api/admin/staff" })).status;
          await dispose(actor);
          return status === 401 ? "password accepted" : `status ${status}`;
        } catch (err) {
          return err instanceof SignInRefused ? err.code : String(err);
        }
      },
      { intervals: [1_000], timeout: 60_000 },
    )
    .toBe("password accepted");
});
