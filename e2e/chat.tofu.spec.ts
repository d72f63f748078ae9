// A clinic that allows trust on first use (TRUST_ON_FIRST_USE=true): chat starts as soon as the
// signed hellos and the DTLS binding check out, before anyone compares the call code, and the
// room says "not verified" until the codes are compared; then the label goes, the key sent on
// trust is replaced by a new epoch (issue 20, item 1), and what was sent before stays marked.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admitPatient, expectConnected } from "./flows/consult";
import { TestDb } from "./support/db";

test("chat works before the code is compared, marked not verified until it is", async ({ browser, baseURL }) => {
  const db = await TestDb.connect();
  const doctor = await db.createStaff("doctor", "Dr. Trust");
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
    // Sealed under a key that went out on trust: never shown as verified, even after the comparison.
    await expect(received).toContainText("sent before the codes were compared");
    await expect(received).toHaveAttribute("data-provisional", "true");
    for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("consult-key")).toContainText("epoch 0");

    for (const page of [call.doctor, call.patient]) await page.getByTestId("verify-confirm").click();
    for (const page of [call.doctor, call.patient]) {
      await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
      await expect(page.getByTestId("chat-not-verified")).toHaveCount(0);
      // The provisional key is replaced by a new epoch, handed only to the verified device.
      await expect(page.getByTestId("consult-key")).toContainText("epoch 1");
    }
    await expect(received).toHaveAttribute("data-provisional", "true");

    const after = `verified-${randomBytes(8).toString("hex")}`;
    await call.patient.getByTestId("chat-input").fill(after);
    await call.patient.getByTestId("chat-send").click();
    const later = call.doctor.getByTestId("chat-message").filter({ hasText: after });
    await expect(later).toHaveCount(1);
    await expect(later).not.toHaveAttribute("data-provisional", "true");
    await expect(later).not.toContainText("not verified");
    await expect(later).not.toContainText("before the codes");
    // Whoever holds the provisional key (a server in the middle of the first use) opens nothing
    // sent after the comparison: it is sealed under another key id.
    const stored = await db.messagesOf(call.consultId);
    expect(stored).toHaveLength(2);
    const [first, second] = stored;
    expect(first?.keyId).toBeTruthy();
    expect(second?.keyId).not.toBe(first?.keyId);
  } finally {
    await call.close();
    await db.close();
  }
});
