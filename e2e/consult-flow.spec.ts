// Doctor and patient flows in two real browsers against the server on PostgreSQL.
import { expect, test } from "@playwright/test";
import { DEMO, doctorAdmits, doctorOpensConsult, expectConnected, newPatientContext, patientJoins, signIn } from "./flows/consult";

test("doctor invites, patient waits, doctor admits and ends the consult", async ({ page: doctor, browser, baseURL }) => {
  const { consultId, inviteUrl } = await doctorOpensConsult(doctor);
  // The fragment (PROTOCOL §6: the name key and the doctor's anchor) is never sent to the server.
  expect(inviteUrl).toMatch(new RegExp(`^${baseURL}/join/[A-Za-z0-9_-]{43}#n=[A-Za-z0-9_-]{122}&f=[A-Za-z0-9_-]{22}$`));
  await expect(doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "waiting");

  // The link survives a reload of the room (the doctor can copy it again).
  await doctor.reload();
  await expect(doctor.getByTestId("invite-link")).toHaveValue(inviteUrl);

  const patientContext = await newPatientContext(browser, baseURL);
  const patient = await patientContext.newPage();
  await patientJoins(patient, inviteUrl, "Pat Example");
  await expect(patient).toHaveURL(new RegExp(`/consults/${consultId}$`));
  await expect(patient.getByTestId("connection-state")).toHaveAttribute("data-state", "waiting");

  // The doctor sees the patient waiting without reloading, and admits them.
  await expect(doctor.getByTestId("waiting-list")).toContainText("Pat Example");
  await expect(doctor.getByTestId("invite-state")).toHaveAttribute("data-state", "used");
  // A new link for a second device: a fresh live link; the waiting patient stays.
  await doctor.getByRole("button", { name: "New link" }).click();
  await expect(doctor.getByTestId("invite-state")).toHaveAttribute("data-state", "live");
  await expect(doctor.getByTestId("invite-link")).not.toHaveValue(inviteUrl);
  await doctorAdmits(doctor, patient, "Pat Example");

  // Each device has its own identity key; the patient's survives a reload.
  const patientKey = await patient.getByTestId("device-fingerprint").textContent();
  const doctorKey = await doctor.getByTestId("device-fingerprint").textContent();
  expect(patientKey).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
  expect(doctorKey).not.toBe(patientKey);

  // The patient reloads: still in the consult, no waiting room, same device key.
  await patient.reload();
  await expect(patient.getByTestId("device-fingerprint")).toHaveText(patientKey ?? "");
  await expectConnected(patient);
  await expectConnected(doctor);
  await expect(patient.getByTestId("waiting-room")).toHaveCount(0);

  // The patient leaves and comes back: through the waiting room, admitted again by the doctor.
  await patient.getByTestId("hang-up").click();
  await expect(patient.getByTestId("left-consult")).toBeVisible();
  await patient.getByRole("button", { name: "Back to the waiting room" }).click();
  await expect(patient.getByTestId("waiting-room")).toBeVisible();
  await doctorAdmits(doctor, patient, "Pat Example");

  // The link was single-use: another browser cannot use it.
  const stranger = await newPatientContext(browser, baseURL);
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(inviteUrl);
  await expect(strangerPage.getByTestId("invite-problem")).toContainText("already been used");
  await stranger.close();

  // The doctor ends the consult; both rooms say so.
  await doctor.getByTestId("end-consult").click();
  await expect(doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");
  await expect(patient.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");

  // The dashboard lists it under past consults.
  await doctor.goto("/dashboard");
  await expect(doctor.getByTestId("consults-past")).toContainText("Pat Example");
  await patientContext.close();
});

test("wrong password is refused with a clear message", async ({ page }) => {
  await signIn(page, DEMO.doctor, "not-the-password");
  await expect(page.getByRole("alert").filter({ hasText: "do not match" })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in/);
});

test("pages need the right account", async ({ page, browser, baseURL }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/sign-in$/);

  await signIn(page, DEMO.admin);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId("staff-table")).toContainText(DEMO.doctor);
  await expect(page.getByTestId("audit-log")).toContainText("auth.sign_in");
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/admin$/);

  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await otherPage.goto("/consults/00000000-0000-4000-8000-000000000000");
  await expect(otherPage).toHaveURL(/\/sign-in/);
  await other.close();
});

test("the join page explains a denied camera and a missing device, and still lets the patient join", async ({ page: doctor, browser, baseURL }) => {
  const { inviteUrl } = await doctorOpensConsult(doctor);
  for (const [errorName, text] of [
    ["NotAllowedError", "not allowing this page to use your camera"],
    ["NotFoundError", "No camera or microphone was found"],
  ] as const) {
    const context = await newPatientContext(browser, baseURL);
    // The browser's answer is what is simulated here, not Parley's code.
    await context.addInitScript((name) => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("simulated", name));
    }, errorName);
    const page = await context.newPage();
    await page.goto(inviteUrl);
    await expect(page.getByTestId("device-problem")).toContainText(text);
    await expect(page.getByTestId("device-check")).toHaveAttribute("data-state", errorName === "NotAllowedError" ? "denied" : "no-device");
    await context.close();
  }
  const patientContext = await newPatientContext(browser, baseURL);
  const patient = await patientContext.newPage();
  await patientContext.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("simulated", "NotFoundError"));
  });
  await patient.goto(inviteUrl);
  await patient.getByTestId("guest-name").fill("No Camera");
  await patient.getByTestId("join").click();
  await expect(patient.getByTestId("waiting-room")).toBeVisible();
  await patientContext.close();
});
