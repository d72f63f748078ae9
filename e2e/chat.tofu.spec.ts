// A clinic that allows trust on first use (TRUST_ON_FIRST_USE=true): chat starts as soon as the
// signed hellos and the DTLS binding check out, before anyone compares the call code, and the
// room says "not verified" until the codes are compared; then the label goes.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admitPatient, expectConnected } from "./flows/consult";
import { TestDb } from "./support/db";

test("chat works before the code is compared, marked not verified until it is", async ({ browser, baseURL }) => {
  const db = await TestDb.connect();
  const doctor = await db.createStaff("doctor", "Dr. Trust");
  await db.close();
  const call = await admitPatient(browser, baseURL, "Trusting Patient", { doctor });
  try {
    await expectConnected(call.doctor);
    await expectConnected(call.patient);
    for (const page of [call.doctor, call.patient]) {
      await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "unverified");
      await expect(page.getByTestId("chat-input")).toBeEnabled();
      await expect(page.getByTestId("chat-not-verified")).toBeVisible();
    }
    const text = `tofu-${randomBytes(8).toString("hex")}`;
    await call.patient.getByTestId("chat-input").fill(text);
    await call.patient.getByTestId("chat-send").click();
    const received = call.doctor.getByTestId("chat-message").filter({ hasText: text });
    await expect(received).toHaveCount(1);
    await expect(received).toContainText("sender not verified");

    for (const page of [call.doctor, call.patient]) await page.getByTestId("verify-confirm").click();
    for (const page of [call.doctor, call.patient]) {
      await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
      await expect(page.getByTestId("chat-not-verified")).toHaveCount(0);
    }
  } finally {
    await call.close();
  }
});
