// Issue 20: a lying server in a clinic that allows trust on first use (TRUST_ON_FIRST_USE=true).
// Trust on first use hands the consult key before anyone compares the call code, so what keeps a
// server from taking it is the rest of the handshake: the signed hello must also name the DTLS
// certificate the browsers actually connected with. A server that substitutes a hello of its own
// gets the connection refused, and the doctor's device sends no key at all. (What a server that
// did get the provisional key could read is in e2e/chat.tofu.spec.ts: nothing sent after the
// codes were compared.)
import { expect, test } from "@playwright/test";
import { admitPatient } from "./flows/consult";
import { TestDb } from "./support/db";
import { recordSignals, substituteHellos, type SignalBody } from "./support/lying-server";

test("a server that substitutes its own hello gets no consult key, even on trust", async ({ browser, baseURL }) => {
  const db = await TestDb.connect();
  const doctor = await db.createStaff("doctor", "Dr. Trusting");
  // Every signal either browser sends unchanged: the doctor's all, the patient's until the rewriting starts.
  const sent: SignalBody[] = [];
  const call = await admitPatient(browser, baseURL, "Intercepted Patient", {
    doctor,
    prepare: async (context) => void (await recordSignals(context, sent)),
    // from the join page on: the waiting room's commit is forged too
    beforeJoin: async (patient) => void (await substituteHellos(patient)),
  });
  try {
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "failed", { timeout: 30_000 });
    for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("e2ee-status")).not.toHaveAttribute("data-state", "verified");
    await expect(call.patient.getByTestId("consult-key")).not.toHaveAttribute("data-state", "held");
    // The doctor's device answered the forged hello with its own, and never with a key (only the
    // doctor's device sends keys).
    expect(sent.some((s) => s.type === "reveal")).toBe(true);
    expect(sent.filter((s) => s.type === "key")).toEqual([]);
  } finally {
    await call.close();
    await db.close();
  }
});
