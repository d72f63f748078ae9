// A clinic that allows trust on first use (TRUST_ON_FIRST_USE=true): chat starts as soon as the
// signed hellos and the DTLS binding check out, before anyone compares the call code, and the
// room says "not verified" until the codes are compared; then the label goes, the key sent on
// trust is replaced by a new epoch (issue 20, item 1), and what was sent before stays marked.
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { importAeadKey, messageAad, open, uuidBytes } from "../lib/crypto";
import { admitPatient, expectConnected } from "./flows/consult";
import { TestDb } from "./support/db";

/** The consult keys the owner (doctor) device holds, with their raw bytes (IndexedDB "consultKeys"). */
async function ownerKeys(page: Page): Promise<{ epoch: number; raw: Uint8Array }[]> {
  const keys = await page.evaluate(
    () =>
      new Promise<{ epoch: number; raw: number[] }[]>((resolve, reject) => {
        const req = indexedDB.open("parley");
        req.onerror = () => reject(new Error("no IndexedDB"));
        req.onsuccess = () => {
          const all = req.result.transaction("consultKeys").objectStore("consultKeys").getAll();
          all.onsuccess = () => resolve((all.result as { epoch: number; raw?: Uint8Array }[]).flatMap((k) => (k.raw ? [{ epoch: k.epoch, raw: Array.from(k.raw) }] : [])));
          all.onerror = () => reject(new Error("no keys"));
        };
      }),
  );
  return keys.map((k) => ({ epoch: k.epoch, raw: Uint8Array.from(k.raw) }));
}

/** Whether `raw` opens a stored message (AES-256-GCM over its header, PROTOCOL §4). */
async function opens(raw: Uint8Array, consultId: string, m: { id: string; senderDeviceId: string; seq: bigint; keyId: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array }): Promise<boolean> {
  const header = { consultId: uuidBytes(consultId), keyId: m.keyId, senderDeviceId: uuidBytes(m.senderDeviceId), messageId: uuidBytes(m.id), seq: m.seq };
  try {
    await open(await importAeadKey(raw), m.iv, m.ciphertext, messageAad(header));
    return true;
  } catch {
    return false;
  }
}

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
      // The room says plainly what this mode gives up (issue 20, item 1).
      await expect(page.getByTestId("chat-not-verified")).toContainText("compare the code to protect what you write");
      await expect(page.getByTestId("chat-not-verified")).toHaveAttribute("title", /a server in the middle could read what is written before then/);
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
    const stored = await db.sealedMessagesOf(call.consultId);
    expect(stored).toHaveLength(2);
    const [first, second] = stored;
    if (!first || !second) throw new Error("two stored messages");
    expect(second.keyId.equals(first.keyId)).toBe(false);
    // Tried for real: the provisional key (the owner device keeps its raw bytes, the very key a
    // server in the middle of the first use would have unwrapped) opens the message sent before the
    // comparison, and not the one after it; the verified epoch opens that one.
    const keys = await ownerKeys(call.doctor);
    const provisional = keys.find((k) => k.epoch === 0);
    const verified = keys.find((k) => k.epoch === 1);
    if (!provisional || !verified) throw new Error("epochs 0 and 1 on the doctor's device");
    expect(await opens(provisional.raw, call.consultId, first)).toBe(true);
    expect(await opens(provisional.raw, call.consultId, second)).toBe(false);
    expect(await opens(verified.raw, call.consultId, second)).toBe(true);
  } finally {
    await call.close();
    await db.close();
  }
});
