// Automatic logoff (project `idle`: IDLE_TIMEOUT_MINUTES=0.25, i.e. 15 s; the warning shows in the
// last 7.5 s). A doctor who leaves the page alone is warned, can stay, and is then signed out on
// the server too; a call in progress counts as activity.
import { expect, test } from "@playwright/test";
import { admitPatient, DEMO, expectConnected, signIn } from "./flows/consult";
import { dispose, send, signInStaff } from "./support/api";

const IDLE_MS = 15_000;

test("a doctor who leaves the page alone is warned, may stay, and is then signed out", async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, DEMO.doctor);
  await expect(page).toHaveURL(/\/dashboard$/);
  const warning = page.getByTestId("idle-warning");
  await expect(warning).toBeVisible({ timeout: IDLE_MS });
  await warning.getByRole("button", { name: "Stay signed in" }).click();
  await expect(warning).toBeHidden();
  await expect(page).toHaveURL(/\/dashboard$/);
  // Then nothing: the warning comes back, and the page leaves for the sign-in page.
  await expect(warning).toBeVisible({ timeout: IDLE_MS });
  await expect(page).toHaveURL(/\/sign-in\?reason=idle$/, { timeout: IDLE_MS });
  await expect(page.getByTestId("signed-out-idle")).toBeVisible();
});

test("the server ends an idle session whatever the browser does", async ({ playwright, baseURL }) => {
  test.setTimeout(60_000);
  const doctor = await signInStaff(playwright, baseURL ?? "", DEMO.doctor);
  try {
    expect((await send(doctor, { method: "POST", path: "/api/session/activity", data: {} })).status).toBe(200);
    await new Promise((r) => setTimeout(r, IDLE_MS + 1_000));
    expect((await send(doctor, { method: "POST", path: "/api/consults", data: {} })).status).toBe(401);
    // and an ended session cannot be revived by reporting activity
    expect((await send(doctor, { method: "POST", path: "/api/session/activity", data: {} })).status).toBe(401);
  } finally {
    await dispose(doctor);
  }
});

test("a call in progress keeps the doctor signed in", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const call = await admitPatient(browser, baseURL, "Ivy Idle");
  try {
    // Twice the timeout without touching either page.
    await call.doctor.waitForTimeout(2 * IDLE_MS);
    await expect(call.doctor.getByTestId("idle-warning")).toBeHidden();
    await expectConnected(call.doctor);
    await expect(call.doctor).toHaveURL(new RegExp(`/consults/${call.consultId}$`));
    const answer = await call.doctor.request.get(`/api/consults/${call.consultId}`);
    expect(answer.status()).toBe(200);
  } finally {
    await call.close();
  }
});
