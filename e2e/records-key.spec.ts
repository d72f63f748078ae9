// Issue 21: records that outlive one browser, end to end (PROTOCOL §7). An admin makes the clinic's
// records key: the private half is shown once as 24 words, only the public half reaches the server.
// The doctor's room says the clinic holds a copy, the patient's join page says so in one sentence,
// and every key of the consult is sealed to it. The doctor keeps a passphrase backup. After the
// consult, a second browser linked by comparing a code reads its chat and document, a third
// restores them with the passphrase and a second factor, and an admin who types the sheet's words
// reads them read only, each opening audited. Neither the words, the passphrase nor any consult key
// is ever on the server (database, bucket, log).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, test, type BrowserContext } from "@playwright/test";
import { admitPatient, signIn } from "./flows/consult";
import { expectRecordInRoom, writeRecord } from "./flows/record";
import { addAuthenticator, signInWithFactor } from "./flows/second-factor";
import { linkByCode } from "./flows/devices";
import { sha256 } from "./flows/files";
import { dumpContains, TestDb } from "./support/db";
import { consultKeyBytes } from "./support/device-keys";
import { TestStore } from "./support/store";

const dataRoot = process.env.PARLEY_TEST_RUN ?? ".test-stack";

test("one consult's chat and document open on a linked browser, on a restored one and for an admin with the records sheet; the server holds nothing that opens them", async ({
  browser,
  baseURL,
  playwright,
}) => {
  test.setTimeout(240_000);
  const db = await TestDb.connect();
  await db.retireRecordsKeys();
  const admin = await db.createStaff("admin", "Ada Admin");
  const doctor = await db.createStaff("doctor", "Dr. On Record");
  const adminContext = await browser.newContext({ baseURL, acceptDownloads: true });
  const adminPage = await adminContext.newPage();
  const passphrase = `harbour quilt ${randomBytes(6).toString("hex")} lantern`;
  let call: Awaited<ReturnType<typeof admitPatient>> | undefined;
  const others: BrowserContext[] = [];
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
    const record = await writeRecord(call, "scan", "Ultrasound: normal");
    const { fromDoctor, fromPatient, document: scan } = record;
    // The doctor keeps a passphrase backup, in the browser that holds the consult's keys.
    const settings = await call.doctor.context().newPage();
    await settings.goto("/account");
    await settings.getByTestId("backup-passphrase").fill(passphrase);
    await settings.getByTestId("backup-passphrase-again").fill(passphrase);
    await settings.getByTestId("backup-set").click();
    await expect(settings.getByTestId("key-backup-done")).toContainText("backed up", { timeout: 30_000 });
    await call.doctor.getByTestId("end-consult").click();
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");
    const copies = (await db.dump()).filter((r) => r.table === "KeyCopy" && r.row.consultId === call?.consultId && r.row.recipient === "records");
    expect(copies.map((c) => c.row.kind).sort()).toEqual(expect.arrayContaining(["consult", "name", "pins"]));

    // A second browser, linked by comparing a code, reads the record; a third restores it from the passphrase.
    const factor = await addAuthenticator(playwright, baseURL ?? "", doctor);
    const phone = await signInWithFactor(browser, baseURL, doctor, { secret: factor.secret });
    others.push(phone.context);
    await linkByCode(settings, phone.page);
    await expectRecordInRoom(phone.page, call.consultId, record);
    const laptop = await signInWithFactor(browser, baseURL, doctor, { recoveryCode: factor.recoveryCodes[0] ?? "" });
    others.push(laptop.context);
    await laptop.page.goto("/account");
    await laptop.page.getByTestId("backup-restore-passphrase").fill(passphrase);
    await laptop.page.getByTestId("backup-restore").click();
    await expect(laptop.page.getByTestId("key-backup-done")).toContainText("records of 1 consult", { timeout: 30_000 });
    await expectRecordInRoom(laptop.page, call.consultId, record);

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
    expect(dumpContains(dump, Buffer.from(passphrase, "utf8"))).toBeUndefined();
    expect(log.includes(passphrase)).toBe(false);
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
    for (const c of others) await c.close();
    await adminContext.close();
    await call?.close();
    await db.close();
  }
});
