// Issue 21, item 2: the passphrase backup in real browsers (PROTOCOL §7.3). A doctor turns it on in
// the browser that ran a consult; on another browser profile, signed in with a second factor, the
// passphrase restores the keys and that browser reads the consult's chat, its document and the
// patient's name.
// A wrong passphrase is refused by the AEAD; the server never holds the passphrase.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admitPatient } from "./flows/consult";
import { addAuthenticator, signInWithFactor } from "./flows/second-factor";
import { expectRecordInRoom, writeRecord } from "./flows/record";
import { dumpContains, TestDb } from "./support/db";

const dataRoot = process.env.PARLEY_TEST_RUN ?? ".test-stack";

test("a backup set on one browser is restored on another with the passphrase and a second factor, which then reads the consult's chat and document", async ({ browser, baseURL, playwright }) => {
  test.setTimeout(180_000);
  const db = await TestDb.connect();
  const account = await db.createStaff("doctor", "Dr. Backed Up");
  const patientName = `Rosalind Restore ${randomBytes(3).toString("hex")}`;
  const passphrase = `orbit lantern ${randomBytes(6).toString("hex")} meadow`;
  const call = await admitPatient(browser, baseURL, patientName, { doctor: account });
  let laptop: Awaited<ReturnType<typeof signInWithFactor>> | undefined;
  try {
    const { fromDoctor, fromPatient, document: lab } = await writeRecord(call, "lab-result", "Potassium 4.1 mmol/L");

    // The doctor turns the backup on in the browser that holds the consult's keys.
    const settings = await call.doctor.context().newPage();
    await settings.goto("/account");
    await expect(settings.getByTestId("key-backup")).toHaveAttribute("data-state", "off");
    await settings.getByTestId("backup-passphrase").fill(passphrase);
    await settings.getByTestId("backup-passphrase-again").fill(passphrase);
    await settings.getByTestId("backup-set").click();
    await expect(settings.getByTestId("key-backup-done")).toContainText("backed up", { timeout: 30_000 });
    await expect(settings.getByTestId("key-backup")).toHaveAttribute("data-state", "on");
    await call.doctor.getByTestId("end-consult").click();
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");

    // The doctor adds an authenticator app (restoring needs a second factor), then signs in on
    // another browser profile with it.
    const { secret } = await addAuthenticator(playwright, baseURL ?? "", account);
    laptop = await signInWithFactor(browser, baseURL, account, { secret });
    const page = laptop.page;

    // Before restoring, this browser opens nothing of the consult.
    await page.goto(`/consults/${call.consultId}`);
    await expect(page.getByTestId("chat-message")).toHaveCount(3);
    await expect(page.getByTestId("chat-message").filter({ hasText: fromDoctor })).toHaveCount(0);
    await expect(page.getByTestId("record-no-key")).toContainText("restore your key backup");
    await page.goto("/dashboard");
    const row = page.locator(`a[href="/consults/${call.consultId}"]`);
    await expect(row.getByTestId("record-missing")).toBeVisible();

    await page.goto("/account");
    await expect(page.getByTestId("key-backup")).toHaveAttribute("data-state", "elsewhere");
    await page.getByTestId("backup-restore-passphrase").fill(`${passphrase}x`);
    await page.getByTestId("backup-restore").click();
    await expect(page.getByText("That passphrase does not open your backup")).toBeVisible({ timeout: 30_000 });
    await page.getByTestId("backup-restore-passphrase").fill(passphrase);
    await page.getByTestId("backup-restore").click();
    await expect(page.getByTestId("key-backup-done")).toContainText("records of 1 consult", { timeout: 30_000 });

    // The restored browser reads the chat, both sides verified as the first browser had verified
    // them (the consult's pins come with the backup, PROTOCOL §7.5), and the patient's sealed name.
    await expectRecordInRoom(page, call.consultId, { fromDoctor, fromPatient, document: lab });
    await expect(page.getByTestId("record-no-key")).toHaveCount(0);
    await page.goto("/dashboard");
    await expect(page.getByTestId("consults-past")).toContainText(patientName);
    await expect(row.getByTestId("record-missing")).toHaveCount(0);

    // The server never had the passphrase: not in a table, nor in its log.
    const dump = await db.dump();
    expect(dump.some((r) => r.table === "KeyBackup" && r.row.userId === account.id)).toBe(true);
    expect(dumpContains(dump, Buffer.from(passphrase, "utf8"))).toBeUndefined();
    expect((await readFile(path.join(dataRoot, "app-pg", "server.log"), "utf8")).includes(passphrase)).toBe(false);
    expect(await db.auditActions(account.id)).toEqual(expect.arrayContaining(["key_backup.set", "keys.copied", "key_backup.unlocked"]));
  } finally {
    await laptop?.context.close();
    await call.close();
    await db.close();
  }
});
