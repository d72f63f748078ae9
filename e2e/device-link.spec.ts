// Issue 21, item 1: linking a second device in real browsers (PROTOCOL §7.2). The doctor's browser
// that ran a consult shows a code and a QR code; a second browser profile, signed in with a second
// factor, opens the QR code's link; the two show the same call code, the doctor confirms on both,
// and the second browser then opens the consult's chat and document. Removing it changes the
// consult's key: a message written after the removal never opens there. Codes that differ share
// nothing.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admitPatient, expectConnected, signIn } from "./flows/consult";
import { addAuthenticator, signInWithFactor } from "./flows/second-factor";
import { addDevice, compareAndConfirm } from "./flows/devices";
import { expectRecordInRoom, say, writeRecord } from "./flows/record";
import { TestDb } from "./support/db";

test("a linked browser reads the consult's chat and document; once removed, it cannot read what is written after", async ({ browser, baseURL, playwright }) => {
  test.setTimeout(240_000);
  const db = await TestDb.connect();
  const account = await db.createStaff("doctor", "Dr. Two Devices");
  const call = await admitPatient(browser, baseURL, `Linus Link ${randomBytes(3).toString("hex")}`, { doctor: account });
  let phone: Awaited<ReturnType<typeof signInWithFactor>> | undefined;
  try {
    const record = await writeRecord(call, "x-ray", "No fracture seen");

    // The second browser: signed in with a second factor.
    const { secret } = await addAuthenticator(playwright, baseURL ?? "", account);
    phone = await signInWithFactor(browser, baseURL, account, { secret });

    // "Add a device" in the doctor's browser: a code, and a QR code of a link carrying it and this device's anchor.
    const settings = await call.doctor.context().newPage();
    await settings.goto("/account");
    const { code, url } = await addDevice(settings);
    expect(url).toMatch(new RegExp(`/devices/link#c=${code}&f=[A-Za-z0-9_-]{22}$`));

    // The phone "scans" it: the code is filled in from the link; the fragment never reaches the server.
    await phone.page.goto(url);
    await expect(phone.page.getByTestId("link-code-input")).toHaveValue(code);
    await phone.page.getByTestId("link-join").click();
    await compareAndConfirm(settings, phone.page);
    await expect(settings.getByTestId("link-done")).toContainText("The new device is linked", { timeout: 30_000 });
    await expect(phone.page.getByTestId("link-done")).toContainText("records of 1 consult", { timeout: 30_000 });

    // Each sees the other in the device list, by the same fingerprint.
    const devices = (await db.dump()).filter((r) => r.table === "Device" && r.row.userId === account.id && r.row.revokedAt === null);
    expect(devices).toHaveLength(2);
    await settings.reload();
    await expect(settings.getByTestId("device-row")).toHaveCount(2);
    const phoneRow = settings.locator('[data-testid="device-row"][data-this="false"]');
    const phoneFingerprint = (await phoneRow.getByTestId("device-fingerprint").textContent()) ?? "";
    await expect(phone.page.locator('[data-testid="device-row"][data-this="true"]').getByTestId("device-fingerprint")).toHaveText(phoneFingerprint);
    await expect(phoneRow).toContainText("Linked with this device");
    const phoneId = (await phoneRow.getAttribute("data-device-id")) ?? "";
    expect((await db.dump()).filter((r) => r.table === "KeyCopy" && r.row.recipientId === phoneId).length).toBeGreaterThan(0);

    // The doctor removes the phone: the open consult gets a new key the phone never receives.
    settings.once("dialog", (d) => void d.accept());
    await phoneRow.getByTestId("device-remove").click();
    await expect(settings.getByTestId("devices-done")).toContainText("1 open consult got a new key");
    await expect(settings.getByTestId("device-row")).toHaveCount(1);
    expect((await db.dump()).filter((r) => r.table === "KeyCopy" && r.row.recipientId === phoneId)).toEqual([]);

    // Back in the room (reloaded: it reads the new key), the call verifies again and the patient gets the new epoch.
    await call.doctor.reload();
    await expectConnected(call.doctor);
    await expect(call.doctor.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified", { timeout: 30_000 });
    const afterRemoval = `after the removal ${randomBytes(6).toString("hex")}`;
    await say(call.doctor, afterRemoval);
    await expect(call.patient.getByTestId("chat-message").filter({ hasText: afterRemoval })).toHaveCount(1, { timeout: 30_000 });
    const sealed = await db.sealedMessagesOf(call.consultId);
    expect(new Set(sealed.map((m) => m.keyId.toString("hex"))).size).toBe(2);
    await call.doctor.getByTestId("end-consult").click();
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");

    // The phone reads what was written before it was removed, verified, and the document; not what came after.
    await expectRecordInRoom(phone.page, call.consultId, record);
    await expect(phone.page.getByTestId("chat-message")).toHaveCount(4);
    await expect(phone.page.getByTestId("chat-message").filter({ hasText: afterRemoval })).toHaveCount(0);
    expect(await db.auditActions(account.id)).toEqual(expect.arrayContaining(["device.link_started", "device.link_joined", "device.linked", "keys.copied", "device.removed"]));
    // What the browsers reported (issue 22): the verified call, the history read, the end.
    expect(await db.auditActions(account.id)).toEqual(expect.arrayContaining(["e2ee.verified", "messages.read", "consult.ended"]));
  } finally {
    await phone?.context.close();
    await call.close();
    await db.close();
  }
});

test("when a person says the codes differ, nothing is shared and the failed link is audited", async ({ browser, baseURL, playwright }) => {
  test.setTimeout(120_000);
  const db = await TestDb.connect();
  const account = await db.createStaff("doctor", "Dr. Careful");
  // The device that holds the keys signed in before the authenticator was added (making a link needs
  // no second factor; joining one does). Two code sign-ins in one 30-second step would reuse a code.
  const holderContext = await browser.newContext({ baseURL });
  const holder = { context: holderContext, page: await holderContext.newPage() };
  await signIn(holder.page, account.email, account.password);
  await expect(holder.page).toHaveURL(/\/dashboard$/);
  const { secret } = await addAuthenticator(playwright, baseURL ?? "", account);
  const other = await signInWithFactor(browser, baseURL, account, { secret });
  try {
    await holder.page.goto("/account");
    await other.page.goto("/account");
    for (const p of [holder.page, other.page]) await expect(p.locator('[data-testid="device-row"][data-this="true"]')).toHaveCount(1);
    const { code } = await addDevice(holder.page);
    // typed by hand, in lower case with a space: still the code
    await other.page.getByTestId("link-code-input").fill(`${code.slice(0, 5).toLowerCase()} ${code.slice(5)}`);
    await other.page.getByTestId("link-join").click();
    for (const p of [holder.page, other.page]) await expect(p.getByTestId("link-call-code")).toBeVisible({ timeout: 30_000 });
    await holder.page.getByTestId("link-codes-match").click();
    await other.page.getByTestId("link-codes-differ").click();
    await expect(other.page.getByTestId("link-error")).toContainText("nothing was shared");
    await expect(holder.page.getByTestId("link-error")).toContainText("codes differed", { timeout: 30_000 });
    const dump = await db.dump();
    const mine = new Set(dump.filter((r) => r.table === "Device" && r.row.userId === account.id).map((r) => r.row.id));
    expect(mine.size).toBe(2);
    expect(dump.filter((r) => r.table === "KeyCopy" && mine.has(r.row.recipientId))).toEqual([]);
    const links = new Set(dump.filter((r) => r.table === "DeviceLink" && r.row.userId === account.id).map((r) => r.row.id));
    expect(links.size).toBe(1);
    expect(dump.filter((r) => r.table === "DeviceLinkMessage" && links.has(r.row.linkId) && r.row.type === "grant")).toEqual([]);
    expect(await db.auditActions(account.id)).toEqual(expect.arrayContaining(["device.link_failed"]));
    expect(await db.auditActions(account.id)).not.toContain("device.linked");
  } finally {
    await holder.context.close();
    await other.context.close();
    await db.close();
  }
});
