// Issue 21, item 3: the clinic's records key in real browsers (PROTOCOL §7.4). An admin makes it:
// the private half is shown once as 24 words, only the public half reaches the server. The doctor's
// room says the clinic holds a copy, the patient's join page says so in one sentence, and every key
// of the consult is sealed to it. An admin who types the sheet's words reads the consult's chat and
// its document, read only, each opening audited. Neither the words nor the key are ever on the server.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admitPatient, signIn } from "./flows/consult";
import { writeRecord } from "./flows/record";
import { sha256 } from "./flows/files";
import { dumpContains, TestDb } from "./support/db";
import { consultKeyBytes } from "./support/device-keys";
import { TestStore } from "./support/store";

const dataRoot = process.env.PARLEY_TEST_RUN ?? ".test-stack";

test("an admin with the recovery sheet reads a consult's chat and document, read only; the server never holds the sheet", async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const db = await TestDb.connect();
  await db.retireRecordsKeys();
  const admin = await db.createStaff("admin", "Ada Admin");
  const doctor = await db.createStaff("doctor", "Dr. On Record");
  const adminContext = await browser.newContext({ baseURL, acceptDownloads: true });
  const adminPage = await adminContext.newPage();
  let call: Awaited<ReturnType<typeof admitPatient>> | undefined;
  try {
    // The admin makes the records key and keeps the sheet.
    await signIn(adminPage, admin.email, admin.password);
    await expect(adminPage).toHaveURL(/\/admin$/);
    await expect(adminPage.getByTestId("records-key")).toHaveAttribute("data-state", "missing");
    await adminPage.getByTestId("records-key-make").click();
    const words = (await adminPage.getByTestId("records-sheet-words").locator("li").allTextContents()).map((t) => t.replace(/^\d+\.\s*/, "").trim());
    expect(words).toHaveLength(24);
    const sheetFingerprint = (await adminPage.getByTestId("records-sheet-fingerprint").textContent()) ?? "";
    await adminPage.getByTestId("records-sheet-kept").check();
    await adminPage.getByTestId("records-key-save").click();
    await expect(adminPage.getByTestId("records-key")).toHaveAttribute("data-state", "on");
    await expect(adminPage.getByTestId("records-fingerprint")).toHaveText(sheetFingerprint);
    await expect(adminPage.getByTestId("records-sheet")).toHaveCount(0);

    // A consult: the patient is told on the join page; the doctor's room names the copy and its key.
    call = await admitPatient(browser, baseURL, `Rhea Record ${randomBytes(3).toString("hex")}`, {
      doctor,
      beforeJoin: async (patient) => await expect(patient.getByTestId("records-notice")).toContainText("keeps an encrypted record"),
    });
    await expect(call.doctor.getByTestId("records-copy-notice")).toContainText(sheetFingerprint);
    const { fromDoctor, fromPatient, document: scan } = await writeRecord(call, "scan", "Ultrasound: normal");
    await call.doctor.getByTestId("end-consult").click();
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");
    const copies = (await db.dump()).filter((r) => r.table === "KeyCopy" && r.row.consultId === call?.consultId && r.row.recipient === "records");
    expect(copies.map((c) => c.row.kind).sort()).toEqual(expect.arrayContaining(["consult", "name", "pins"]));

    // The admin opens the record with the sheet: wrong words first.
    await adminPage.goto("/admin/records");
    const wrong = [...words];
    wrong[3] = wrong[3] === "abandon" ? "ability" : "abandon";
    await adminPage.getByTestId("records-sheet-input").fill(wrong.join(" "));
    await adminPage.getByTestId("records-unlock").click();
    await expect(adminPage.getByTestId("records-reader").getByRole("alert")).toContainText(/records key|sheet/);
    await expect(adminPage.getByTestId("records-reader")).toHaveAttribute("data-state", "locked");
    await adminPage.getByTestId("records-sheet-input").fill(words.join(" "));
    await adminPage.getByTestId("records-unlock").click();
    await expect(adminPage.getByTestId("records-reader")).toHaveAttribute("data-state", "unlocked");
    await adminPage.locator(`[data-testid="record-row"][data-consult-id="${call.consultId}"]`).getByTestId("record-open").click();
    const view = adminPage.getByTestId("record-view");
    await expect(view).toHaveAttribute("data-consult-id", call.consultId);
    for (const text of [fromDoctor, fromPatient]) {
      const m = view.getByTestId("record-message").filter({ hasText: text });
      await expect(m).toHaveCount(1);
      await expect(m).not.toContainText("sender not verified");
    }
    await expect(view.getByTestId("record-readonly")).toBeVisible();
    await expect(view.getByTestId("chat-input")).toHaveCount(0);
    const doc = view.getByTestId("record-document").filter({ hasText: scan.name });
    const [download] = await Promise.all([adminPage.waitForEvent("download"), doc.getByTestId("record-document-download").click()]);
    expect(sha256(await readFile((await download.path()) ?? ""))).toBe(sha256(scan.bytes));

    // Audited; and a stolen server (database and bucket) holds neither the sheet's words nor any
    // consult key in a form that opens without them (every copy is sealed: none is the key itself).
    const keys = await consultKeyBytes(call.doctor);
    expect(keys.length).toBeGreaterThan(0);
    const objects = await new TestStore().objects();
    const actions = await db.auditActions(admin.id);
    expect(actions).toEqual(expect.arrayContaining(["records_key.created", "records.opened", "records.document_fetched"]));
    const dump = await db.dump();
    const log = await readFile(path.join(dataRoot, "app-pg", "server.log"), "utf8");
    expect(dumpContains(dump, Buffer.from(words.join(" "), "utf8"))).toBeUndefined();
    for (const k of keys) {
      expect(dumpContains(dump, k.subarray(0, 16)), "a consult key in the database").toBeUndefined();
      for (const o of objects) expect(o.bytes.includes(k.subarray(0, 16)), `a consult key in ${o.key}`).toBe(false);
    }
    for (const w of [words.slice(0, 4).join(" "), words.slice(10, 14).join(" ")]) {
      expect(dumpContains(dump, Buffer.from(w, "utf8"))).toBeUndefined();
      expect(log.includes(w)).toBe(false);
    }
  } finally {
    await db.retireRecordsKeys();
    await adminContext.close();
    await call?.close();
    await db.close();
  }
});
