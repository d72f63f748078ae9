// A clinic's first run, through the browser (project `staff`: embedded default, SEED_DEMO=false):
// the setup link from the server's log makes the first admin; the admin adds a doctor, who sets a
// password from the one-time link; disabling, enabling and resetting take effect at once; the
// command line makes a new setup link. Runs in file order: each test builds on the one before.
import { readFile } from "node:fs/promises";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { adminCli, firstSetupLinkInLog, setupLinksInLog } from "./support/staff-server";
import { addVirtualAuthenticator } from "./support/authenticators";
import { anonymous, dispose, EventStream, expectApiError, send, signInStaff, SignInRefused, type Actor, type Playwright } from "./support/api";

test.describe.configure({ mode: "serial" });

const ADMIN = { name: "Ada Admin", email: "ada@clinic.test", password: "a long admin passphrase" };
const DOCTOR = { name: "Dr. Bea Doctor", email: "bea@clinic.test", password: "bea's own long passphrase" };

let adminPage: Page;
let doctorLink = "";

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

/** The page's error message (Next's route announcer has role=alert too). */
const alertOf = (page: Page) => page.locator('[role="alert"]:not(#__next-route-announcer__)');
const row = (page: Page, email: string) => page.getByTestId("staff-row").filter({ hasText: email });

test("nothing is seeded: the demo password does not work, and the start printed a setup link", async ({ playwright, baseURL }) => {
  await expect(signInStaff(playwright, baseURL ?? "", "admin@parley.test", "parley-demo")).rejects.toThrow(SignInRefused);
  expect(await firstSetupLinkInLog()).toMatch(/\/setup\/[A-Za-z0-9_-]{43}$/);
});

test("the setup link creates the first admin and lands on /admin; it works once", async ({ browser }) => {
  const link = await firstSetupLinkInLog();
  adminPage = await newPage(browser);
  await adminPage.goto(link);
  await adminPage.locator('input[name="name"]').fill(ADMIN.name);
  await adminPage.locator('input[name="email"]').fill(ADMIN.email);
  await adminPage.locator('input[name="password"]').fill("too short");
  await adminPage.locator('button[type="submit"]').click();
  await expect(alertOf(adminPage)).toContainText("12 characters");
  await adminPage.locator('input[name="password"]').fill(ADMIN.password);
  await adminPage.locator('button[type="submit"]').click();
  await expect(adminPage).toHaveURL(/\/admin$/);
  await expect(row(adminPage, ADMIN.email)).toHaveAttribute("data-state", "active");
  await expect(adminPage.getByTestId("audit-row").filter({ hasText: "setup.completed" })).toHaveCount(1);

  const again = await newPage(browser);
  await again.goto(link);
  await expect(alertOf(again)).toContainText("already been used");
  await expect(again.locator('input[name="password"]')).toHaveCount(0);
  await again.context().close();
});

test("the admin adds a doctor, who sets a password from the one-time link and lands on the dashboard", async ({ browser }) => {
  await adminPage.getByTestId("staff-name").fill(DOCTOR.name);
  await adminPage.getByTestId("staff-email").fill(DOCTOR.email);
  await adminPage.getByTestId("staff-role").selectOption("doctor");
  await adminPage.getByTestId("staff-create").click();
  doctorLink = await adminPage.getByTestId("staff-link").inputValue();
  expect(doctorLink).toMatch(/^http:\/\/localhost:3104\/account\/setup\/[A-Za-z0-9_-]{43}$/);
  await expect(row(adminPage, DOCTOR.email)).toHaveAttribute("data-state", "pending");

  const doctor = await newPage(browser);
  await doctor.goto(doctorLink);
  await expect(doctor.getByText(DOCTOR.email)).toBeVisible();
  await doctor.locator('input[name="password"]').fill("password1234");
  await doctor.locator('button[type="submit"]').click();
  await expect(alertOf(doctor)).toContainText("common");
  await doctor.locator('input[name="password"]').fill(DOCTOR.password);
  await doctor.locator('button[type="submit"]').click();
  await expect(doctor).toHaveURL(/\/dashboard$/);
  await doctor.context().close();

  await adminPage.reload();
  await expect(row(adminPage, DOCTOR.email)).toHaveAttribute("data-state", "active");
  await expect(adminPage.getByTestId("audit-row").filter({ hasText: "staff.password_set" })).toHaveCount(1);

  // The audit log downloads as CSV, with the admin's action on the doctor in it.
  const [download] = await Promise.all([adminPage.waitForEvent("download"), adminPage.getByTestId("audit-export").click()]);
  expect(download.suggestedFilename()).toMatch(/^parley-audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await readFile(await download.path(), "utf8");
  expect(csv.split("\r\n").find((line) => line.includes(",staff.created,"))).toContain(ADMIN.name);
});

test("a doctor is refused on every admin route; the last admin cannot be disabled or demoted", async ({ playwright, baseURL }) => {
  const doctor = await signInStaff(playwright, baseURL ?? "", DOCTOR.email, DOCTOR.password);
  const admin = await signInStaff(playwright, baseURL ?? "", ADMIN.email, ADMIN.password);
  const anon = await anonymous(playwright, baseURL ?? "");
  try {
    const adminId = admin.user?.id ?? "";
    const calls = [
      { method: "GET" as const, path: "/api/admin/staff" },
      { method: "POST" as const, path: "/api/admin/staff", data: { name: "X", email: "x@clinic.test", role: "admin" } },
      { method: "POST" as const, path: `/api/admin/staff/${adminId}/disable`, data: {} },
      { method: "POST" as const, path: `/api/admin/staff/${adminId}/enable`, data: {} },
      { method: "POST" as const, path: `/api/admin/staff/${adminId}/reset`, data: {} },
      { method: "POST" as const, path: `/api/admin/staff/${adminId}/role`, data: { role: "doctor" } },
    ];
    for (const call of calls) {
      const asDoctor = await send(doctor, call);
      expect(asDoctor.status, `${call.method} ${call.path} as a doctor`).toBe(403);
      expect(expectApiError(asDoctor).code).toBe("forbidden");
      expect((await send(anon, call)).status, `${call.method} ${call.path} anonymous`).toBe(401);
    }
    for (const action of ["disable", "role"]) {
      const answer = await send(admin, { method: "POST", path: `/api/admin/staff/${adminId}/${action}`, data: action === "role" ? { role: "doctor" } : {} });
      expect(answer.status).toBe(409);
      expect(expectApiError(answer).message).toContain("last active admin");
    }
  } finally {
    await dispose(doctor, admin, anon);
  }
});

async function doctorActor(playwright: Playwright, baseURL: string, password = DOCTOR.password): Promise<Actor> {
  return signInStaff(playwright, baseURL, DOCTOR.email, password);
}

test("disabling a doctor ends their open event stream and their next request gets 401; once enabled they sign in again", async ({ playwright, baseURL }) => {
  const doctor = await doctorActor(playwright, baseURL ?? "");
  try {
    const created = await send(doctor, { method: "POST", path: "/api/consults", data: {} });
    const consultId = (JSON.parse(created.text) as { id: string }).id;
    const { stream } = await EventStream.open(doctor, `/api/consults/${consultId}/events`);
    expect(stream.status).toBe(200);
    await row(adminPage, DOCTOR.email).getByTestId("staff-disable").click();
    await expect(row(adminPage, DOCTOR.email)).toHaveAttribute("data-state", "disabled");
    await expect.poll(() => stream.ended, { message: "the disabled doctor's stream is closed", timeout: 20_000 }).toBe(true);
    expect((await send(doctor, { method: "GET", path: `/api/consults/${consultId}` })).status).toBe(401);
    await expect(doctorActor(playwright, baseURL ?? "")).rejects.toThrow(SignInRefused);

    await row(adminPage, DOCTOR.email).getByTestId("staff-enable").click();
    await expect(row(adminPage, DOCTOR.email)).toHaveAttribute("data-state", "active");
    // The sessions ended with the disabling; enabling the account does not revive them.
    expect((await send(doctor, { method: "GET", path: `/api/consults/${consultId}` })).status).toBe(401);
    const again = await doctorActor(playwright, baseURL ?? "");
    expect((await send(again, { method: "GET", path: `/api/consults/${consultId}` })).status).toBe(200);
    await dispose(again);
    await stream.close();
  } finally {
    await dispose(doctor);
  }
});

test("a reset makes the old password and the doctor's sessions fail; the new link sets a new one", async ({ playwright, baseURL, browser }) => {
  const before = await doctorActor(playwright, baseURL ?? "");
  try {
    await row(adminPage, DOCTOR.email).getByTestId("staff-reset").click();
    await expect(row(adminPage, DOCTOR.email)).toHaveAttribute("data-state", "pending");
    const link = await adminPage.getByTestId("staff-link").inputValue();
    expect(link).not.toBe(doctorLink);
    expect((await send(before, { method: "POST", path: "/api/consults", data: {} })).status).toBe(401);
    await expect(doctorActor(playwright, baseURL ?? "")).rejects.toThrow(SignInRefused);

    const doctor = await newPage(browser);
    await doctor.goto(link);
    await doctor.locator('input[name="password"]').fill("a second long passphrase");
    await doctor.locator('button[type="submit"]').click();
    await expect(doctor).toHaveURL(/\/dashboard$/);
    await doctor.context().close();
    await expect(doctorActor(playwright, baseURL ?? "")).rejects.toThrow(SignInRefused);
    await dispose(await doctorActor(playwright, baseURL ?? "", "a second long passphrase"));
  } finally {
    await dispose(before);
  }
});

test("sign out everywhere, by the doctor on their account page and by an admin, ends every session at once", async ({ playwright, baseURL, browser }) => {
  const password = "a second long passphrase";
  const other = await doctorActor(playwright, baseURL ?? "", password);
  const page = await newPage(browser);
  try {
    await page.goto("/sign-in");
    await page.locator('input[name="email"]').fill(DOCTOR.email);
    await page.locator('input[name="password"]').fill(password);
    await page.locator('button[type="submit"]').click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.getByTestId("account-link").click();
    await expect(page.getByTestId("session-row")).not.toHaveCount(0);
    expect((await send(other, { method: "POST", path: "/api/consults", data: {} })).status).toBe(201);
    await page.getByTestId("sign-out-everywhere").click();
    await expect(page).toHaveURL(/\/sign-in/);
    expect((await send(other, { method: "POST", path: "/api/consults", data: {} })).status).toBe(401);

    const again = await doctorActor(playwright, baseURL ?? "", password);
    expect((await send(again, { method: "POST", path: "/api/consults", data: {} })).status).toBe(201);
    await adminPage.reload(); // the doctor set a password since the admin's last look
    await row(adminPage, DOCTOR.email).getByTestId("staff-sign-out").click();
    await expect(adminPage.getByText(`session(s) of ${DOCTOR.email}`)).toBeVisible();
    expect((await send(again, { method: "POST", path: "/api/consults", data: {} })).status).toBe(401);
    await dispose(again);
  } finally {
    await page.context().close();
    await dispose(other);
  }
});

test("the doctor adds a passkey on their account page, signs out, and signs in with it", async ({ browser }) => {
  const page = await newPage(browser);
  try {
    await addVirtualAuthenticator(page);
    await page.goto("/sign-in");
    await page.locator('input[name="email"]').fill(DOCTOR.email);
    await page.locator('input[name="password"]').fill("a second long passphrase");
    await page.locator('button[type="submit"]').click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.goto("/account");
    await page.getByTestId("passkey-add").click();
    await expect(page.getByTestId("passkey-row")).toHaveCount(1);
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await page.getByTestId("sign-in-passkey").click();
    await expect(page).toHaveURL(/\/dashboard$/);
  } finally {
    await page.context().close();
  }
  await adminPage.reload();
  await expect(adminPage.getByTestId("audit-row").filter({ hasText: "factor.enrolled" })).toHaveCount(1);
  // Signing out is in the trail too, from the browser that did it (issue 22).
  const signOut = adminPage.getByTestId("audit-row").filter({ hasText: "auth.sign_out" }).filter({ hasText: DOCTOR.name });
  await expect(signOut).toHaveCount(1);
  await expect(signOut).toContainText("Chrom");
});

test("`npm run admin -- setup-link` prints a new link through the running server; it replaces the old one", async ({ browser }) => {
  const cli = await adminCli("setup-link");
  expect(cli.code, cli.stderr).toBe(0);
  const url = /(http:\/\/\S+\/setup\/[A-Za-z0-9_-]{43})/.exec(cli.stdout)?.[1] ?? "";
  expect(url).not.toBe("");
  expect(setupLinksInLog()).not.toContain(url);

  const list = await adminCli("list");
  expect(list.stdout).toContain(DOCTOR.email);
  expect((await adminCli("disable", ADMIN.email)).stderr).toContain("last active admin");

  const page = await newPage(browser);
  await page.goto(url);
  await page.locator('input[name="name"]').fill("Second Admin");
  await page.locator('input[name="email"]').fill("second@clinic.test");
  await page.locator('input[name="password"]').fill("another admin passphrase");
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId("audit-row").filter({ hasText: "setup.link_issued" })).not.toHaveCount(0);
  await page.context().close();
});
