// The consult flow as people do it, in real browsers: shared by the PostgreSQL and the embedded
// specs so both servers are held to the same behaviour.
import { expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "@playwright/test";

export const DEMO = { doctor: "doctor@parley.test", admin: "admin@parley.test", password: "parley-demo" };

export async function signIn(page: Page, email: string, password = DEMO.password): Promise<void> {
  await page.goto("/sign-in");
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

/** Doctor signs in and opens a new consult; returns the room's page and the invite URL. */
export async function doctorOpensConsult(
  page: Page,
  account: { email: string; password: string } = { email: DEMO.doctor, password: DEMO.password },
): Promise<{ consultId: string; inviteUrl: string }> {
  await signIn(page, account.email, account.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByTestId("new-consult").click();
  await expect(page).toHaveURL(/\/consults\/[0-9a-f-]{36}$/);
  const consultId = new URL(page.url()).pathname.split("/").pop() ?? "";
  const invite = page.getByTestId("invite-link");
  await expect(invite).toHaveCount(1);
  const inviteUrl = await invite.inputValue();
  return { consultId, inviteUrl };
}

export async function newPatientContext(browser: Browser, baseURL: string | undefined): Promise<BrowserContext> {
  return browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
}

/** Patient opens the invite, checks devices, gives a name and joins the waiting room. */
export async function patientJoins(page: Page, inviteUrl: string, name: string, onJoinPage?: (page: Page) => Promise<void>): Promise<void> {
  await page.goto(inviteUrl);
  await expect(page.getByTestId("device-check")).toHaveAttribute("data-state", "ready");
  await onJoinPage?.(page);
  await page.getByTestId("guest-name").fill(name);
  await page.getByTestId("join").click();
  await expect(page.getByTestId("waiting-room")).toBeVisible();
}

/** Doctor admits the patient waiting under `name`; the call then comes up on both sides by itself. */
export async function doctorAdmits(doctor: Page, patient: Page, name: string): Promise<void> {
  const row = doctor.getByTestId("waiting-list").getByRole("listitem").filter({ hasText: name });
  await row.getByTestId("admit").click();
  await expect(patient.getByTestId("waiting-room")).toBeHidden();
  await expect(doctor.getByTestId("invite-link")).toHaveCount(0);
  await expectConnected(doctor);
  await expectConnected(patient);
}

export async function expectConnected(page: Page): Promise<void> {
  await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "connected");
}

export type TwoParty = { consultId: string; doctor: Page; patient: Page; close(): Promise<void> };

/**
 * A doctor and a patient in two browser contexts: the doctor opens a consult, the patient joins,
 * `beforeAdmit` runs (to instrument or tamper with the patient's page), the doctor admits.
 */
export async function admitPatient(
  browser: Browser,
  baseURL: string | undefined,
  name: string,
  opts: {
    prepare?: (context: BrowserContext) => Promise<void>;
    /** the patient's context only, before its first page opens */
    preparePatient?: (context: BrowserContext) => Promise<void>;
    beforeAdmit?: (patient: Page, consultId: string) => Promise<void>;
    /** on the join page, before the patient joins (what it tells them) */
    beforeJoin?: (patient: Page) => Promise<void>;
    /** another doctor than the demo one (each browser profile is a device; an account may have 20) */
    doctor?: { email: string; password: string };
    /** options for the patient's browser context (a phone's viewport, touch) */
    patientContext?: BrowserContextOptions;
  } = {},
): Promise<TwoParty> {
  const doctorContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
  const patientContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"], ...opts.patientContext });
  for (const c of [doctorContext, patientContext]) await opts.prepare?.(c);
  await opts.preparePatient?.(patientContext);
  const doctor = await doctorContext.newPage();
  const patient = await patientContext.newPage();
  // A page that throws shows Next's "This page couldn't load": say why in the test's output.
  for (const [who, page] of [
    ["doctor", doctor],
    ["patient", patient],
  ] as const)
    page.on("pageerror", (e) => console.error(`[${who} page error] ${e.stack ?? e.message}`));
  const { consultId, inviteUrl } = await doctorOpensConsult(doctor, opts.doctor);
  await patientJoins(patient, inviteUrl, name, opts.beforeJoin);
  await opts.beforeAdmit?.(patient, consultId);
  await doctor.getByTestId("waiting-list").getByRole("listitem").filter({ hasText: name }).getByTestId("admit").click();
  return {
    consultId,
    doctor,
    patient,
    close: async () => {
      await doctorContext.close();
      await patientContext.close();
    },
  };
}
