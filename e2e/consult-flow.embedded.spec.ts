// The same doctor and patient flow on the zero-set-up default: embedded database, no settings.
import { expect, test } from "@playwright/test";
import { doctorAdmits, doctorOpensConsult, newPatientContext, patientJoins } from "./flows/consult";

test("embedded default: sign in, new consult, patient joins, admitted, consult ends", async ({ page: doctor, browser, baseURL }) => {
  const { inviteUrl } = await doctorOpensConsult(doctor);
  expect(inviteUrl.startsWith(`${baseURL}/join/`)).toBe(true);
  const patientContext = await newPatientContext(browser, baseURL);
  const patient = await patientContext.newPage();
  await patientJoins(patient, inviteUrl, "Embedded Patient");
  // This server has no STUN or TURN: the start warned, and the patient's connection check says so.
  await expect(patient.getByTestId("connection-check")).toHaveAttribute("data-state", "ok");
  await expect(patient.getByTestId("connection-check")).toContainText("no STUN or TURN server");
  await doctorAdmits(doctor, patient, "Embedded Patient");
  await doctor.getByTestId("end-consult").click();
  await expect(patient.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");
  await patientContext.close();
});
