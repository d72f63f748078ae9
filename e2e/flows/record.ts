// A consult's record as the key-keeping specs (key backup, device linking, records key) need it:
// a verified call, a message each way and a document from the patient; and reading it back in a
// browser that holds its keys.
import { randomBytes } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import { expectConnected, type TwoParty } from "./consult";
import { downloadOf, fileItem, makeFiles, pdfBytes, sha256, type TestFile } from "./files";

export type ConsultRecord = { fromDoctor: string; fromPatient: string; document: TestFile };

export async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId("chat-input").fill(text);
  await page.getByTestId("chat-send").click();
}

/** Both people compare the code, write one message each, and the patient sends a PDF. */
export async function writeRecord(call: TwoParty, name: string, text: string): Promise<ConsultRecord> {
  await expectConnected(call.patient);
  for (const page of [call.doctor, call.patient]) await page.getByTestId("verify-confirm").click();
  for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
  const fromDoctor = `from the doctor ${randomBytes(6).toString("hex")}`;
  const fromPatient = `from the patient ${randomBytes(6).toString("hex")}`;
  await say(call.doctor, fromDoctor);
  await say(call.patient, fromPatient);
  await expect(call.doctor.getByTestId("chat-message").filter({ hasText: fromPatient })).toHaveCount(1);
  const [document] = (await makeFiles([{ name: `${name}-${randomBytes(3).toString("hex")}.pdf`, bytes: pdfBytes(text), type: "application/pdf" }])) as [TestFile];
  await call.patient.getByTestId("file-input").setInputFiles(document.path);
  await expect(fileItem(call.doctor, document.name)).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  return { fromDoctor, fromPatient, document };
}

/** The room of an ended consult, in another browser of the doctor: both messages, not flagged, and the document's very bytes. */
export async function expectRecordInRoom(page: Page, consultId: string, record: ConsultRecord): Promise<void> {
  await page.goto(`/consults/${consultId}`);
  for (const text of [record.fromDoctor, record.fromPatient]) {
    const m = page.getByTestId("chat-message").filter({ hasText: text });
    await expect(m).toHaveCount(1);
    await expect(m).not.toHaveAttribute("data-state", "unverifiable");
    await expect(m).not.toContainText("sender not verified");
  }
  expect(sha256(await downloadOf(page, record.document))).toBe(sha256(record.document.bytes));
}
