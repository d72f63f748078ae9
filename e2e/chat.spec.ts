// End-to-end encrypted chat (PROTOCOL §4) in two real browsers on the real PostgreSQL: off until
// the call is verified, both ways in real time, each message shown once with its state, history
// readable after a reload on the same device, search and export on the device; then the server's
// side: a dump of every table holds no message text and no byte of the consult key, a flipped
// byte in a stored message shows as "unverifiable", and a message typed while offline arrives
// exactly once when the network comes back.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { admitPatient, expectConnected, type TwoParty } from "./flows/consult";
import { dumpContains, TestDb } from "./support/db";
import { consultKeyBytes } from "./support/device-keys";

test.describe.configure({ mode: "serial" });

const marker = (who: string) => `${who}-${randomBytes(9).toString("hex")}`;
const messages = (page: Page) => page.getByTestId("chat-message");
const message = (page: Page, text: string) => messages(page).filter({ hasText: text });

async function verify(call: TwoParty): Promise<void> {
  await expectConnected(call.doctor);
  await expectConnected(call.patient);
  for (const page of [call.doctor, call.patient]) await page.getByTestId("verify-confirm").click();
  for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId("chat-input").fill(text);
  await page.getByTestId("chat-send").click();
  await expect(page.getByTestId("chat-input")).toHaveValue("");
}

let db: TestDb;
let call: TwoParty;
const sent: string[] = [];

test.beforeAll(async () => {
  db = await TestDb.connect();
});
test.afterAll(async () => {
  await call?.close();
  await db?.close();
});

test("chat is off until the call is verified, then works both ways with each message shown once", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Dana Demo");
  call = await admitPatient(browser, baseURL, "Chatty Patient", { doctor });
  await expectConnected(call.doctor);
  for (const page of [call.doctor, call.patient]) {
    await expect(page.getByTestId("chat-input")).toBeDisabled();
    await expect(page.getByTestId("chat-send")).toBeDisabled();
  }
  await verify(call);
  for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("chat-input")).toBeEnabled();

  const fromDoctor = marker("doctor");
  await send(call.doctor, fromDoctor);
  await expect(message(call.patient, fromDoctor)).toHaveCount(1);
  await expect(message(call.doctor, fromDoctor)).toHaveCount(1);
  // The patient's page is shown, so the doctor's message ends up read.
  await expect(message(call.doctor, fromDoctor)).toHaveAttribute("data-state", "read");

  const fromPatient = marker("patient");
  await call.patient.getByTestId("chat-input").fill(fromPatient);
  await expect(call.doctor.getByTestId("chat-typing")).toContainText("Chatty Patient is typing");
  await call.patient.getByTestId("chat-send").click();
  await expect(message(call.doctor, fromPatient)).toHaveCount(1);
  await expect(message(call.patient, fromPatient)).toHaveAttribute("data-state", "read");

  // Presence: the doctor sees the patient's page go to the background and come back.
  const setVisibility = (page: Page, state: "hidden" | "visible") =>
    page.evaluate((v) => {
      Object.defineProperty(document, "visibilityState", { value: v, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
  await setVisibility(call.patient, "hidden");
  await expect(call.doctor.getByTestId("chat-presence")).toHaveAttribute("data-state", "away");
  await setVisibility(call.patient, "visible");
  await expect(call.doctor.getByTestId("chat-presence")).toHaveAttribute("data-state", "online");

  // A burst keeps its order and loses nothing.
  const burst = Array.from({ length: 5 }, (_, i) => `${marker("burst")}-${i}`);
  for (const b of burst) await send(call.doctor, b);
  for (const b of burst) await expect(message(call.patient, b)).toHaveCount(1);
  const order = await messages(call.patient).allTextContents();
  const positions = burst.map((b) => order.findIndex((t) => t.includes(b)));
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  sent.push(fromDoctor, fromPatient, ...burst);
  await expect(messages(call.patient)).toHaveCount(sent.length);
  await expect(messages(call.doctor)).toHaveCount(sent.length);
});

test("after a reload the history is still readable on the same device; search and export find the markers", async () => {
  await call.patient.reload();
  for (const text of sent) await expect(message(call.patient, text)).toHaveCount(1);
  await expect(messages(call.patient)).toHaveCount(sent.length);
  await expectConnected(call.patient);

  const [fromDoctor, fromPatient] = sent as [string, string];
  await call.doctor.getByTestId("chat-search").fill(fromPatient.slice(0, 14));
  await expect(messages(call.doctor)).toHaveCount(1);
  await expect(messages(call.doctor)).toContainText(fromPatient);
  await call.doctor.getByTestId("chat-search").fill("no-such-text-anywhere");
  await expect(messages(call.doctor)).toHaveCount(0);
  await call.doctor.getByTestId("chat-search").fill("");
  await expect(messages(call.doctor)).toHaveCount(sent.length);

  const download = call.doctor.waitForEvent("download");
  await call.doctor.getByTestId("chat-export").click();
  const file = await (await download).path();
  const text = await readFile(file, "utf8");
  for (const m of sent) expect(text).toContain(m);
  expect(text).toContain("Chatty Patient (patient)");
  expect(text).toMatch(/End-to-end encryption: verified/);
  expect(text).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC  .*: ${fromDoctor}`));
});

test("stolen server: a dump of every table holds no message text and no byte of the consult key", async () => {
  const keys = await consultKeyBytes(call.doctor);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) expect(k.length).toBe(32);
  const dump = await db.dump();
  expect(dump.some((r) => r.table === "Message" && r.row.consultId === call.consultId)).toBe(true);
  for (const text of sent) expect(dumpContains(dump, Buffer.from(text, "utf8")), text).toBeUndefined();
  for (const k of keys) {
    expect(dumpContains(dump, k), "the consult key").toBeUndefined();
    // not even half of it
    expect(dumpContains(dump, k.subarray(0, 16)), "half the consult key").toBeUndefined();
  }
});

// Issue 20, item 5: a message id is the client's, and used to be a UUID v7, whose first 48 bits are
// the send time in milliseconds; the server has its own receive time, but not the sender's clock.
test("stolen server: message ids are random (UUID v4) and carry no send time", async () => {
  const stored = await db.messagesOf(call.consultId);
  expect(stored.length).toBeGreaterThan(0);
  for (const m of stored) expect(m.id, "a random UUID v4").toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("tampered storage: a flipped byte in a stored message shows as unverifiable, never as its text", async () => {
  const text = marker("tampered");
  await send(call.doctor, text);
  await expect(message(call.patient, text)).toHaveCount(1);
  const stored = await db.messagesOf(call.consultId);
  const last = stored.at(-1);
  if (!last) throw new Error("no stored message");
  await db.flipMessageByte(last.id);
  await call.patient.reload();
  await expect(messages(call.patient).and(call.patient.locator('[data-state="unverifiable"]'))).toHaveCount(1);
  await expect(message(call.patient, text)).toHaveCount(0);
  // Nothing else became unverifiable, and nothing went missing.
  await expect(messages(call.patient)).toHaveCount(sent.length + 1);
  for (const t of sent) await expect(message(call.patient, t)).not.toHaveAttribute("data-state", "unverifiable");
});

test("offline outbox: a message typed with the stream and POSTs cut off arrives exactly once when they return", async () => {
  const before = (await db.messagesOf(call.consultId)).length;
  const text = marker("offline");
  // The patient's page comes back with its event stream and every message POST refused.
  const stream = "**/api/consults/*/events**";
  const posts = "**/api/consults/*/messages";
  await call.patient.route(stream, (r) => r.abort("internetdisconnected"));
  await call.patient.route(posts, (r) => (r.request().method() === "POST" ? r.abort("internetdisconnected") : r.continue()));
  await call.patient.reload();
  await expect(call.patient.getByTestId("chat-input")).toBeEnabled(); // this device verified the doctor before and holds the key
  await send(call.patient, text);
  await expect(message(call.patient, text)).toHaveAttribute("data-state", "sending");
  // Several retries fail; nothing reaches the server or the doctor.
  await call.patient.waitForTimeout(4_000);
  expect((await db.messagesOf(call.consultId)).length).toBe(before);
  await expect(message(call.doctor, text)).toHaveCount(0);

  await call.patient.unroute(stream);
  await call.patient.unroute(posts);
  await expect(message(call.doctor, text)).toHaveCount(1);
  await expect(message(call.patient, text)).toHaveCount(1);
  await expect(message(call.patient, text)).not.toHaveAttribute("data-state", "sending");
  expect((await db.messagesOf(call.consultId)).length).toBe(before + 1);
  // The stream came back by itself, and with it the call.
  await expectConnected(call.patient);
  // And it stays once: a reload of either side shows it a single time.
  await call.doctor.reload();
  await expect(message(call.doctor, text)).toHaveCount(1);
  await call.patient.reload();
  await expect(message(call.patient, text)).toHaveCount(1);
  await expectConnected(call.patient);
});

test("chain heads: the last message, lost on the server, shows as never delivered (the sender's head says it exists)", async () => {
  await expectConnected(call.patient);
  const text = marker("withheld");
  await send(call.doctor, text);
  await expect(message(call.patient, text)).toHaveCount(1);
  await expect(call.patient.getByTestId("chat-gap")).toHaveCount(0);
  // The server drops the consult's newest message: without the chain head, nothing would show it.
  const last = (await db.messagesOf(call.consultId)).at(-1);
  if (!last) throw new Error("no stored message");
  await db.deleteMessage(last.id);
  await call.patient.reload();
  await expectConnected(call.patient);
  const gap = call.patient.getByTestId("chat-gap");
  await expect(gap).toHaveAttribute("data-state", "withheld");
  await expect(gap).toContainText("has not been delivered by the server");
  await expect(message(call.patient, text)).toHaveCount(0);
});

/** What this browser profile holds for the consult: consult keys, outbox entries, chain states. */
async function localChatState(page: Page, consultId: string): Promise<{ keys: number; outbox: number; chains: number }> {
  return page.evaluate(
    (id) =>
      new Promise<{ keys: number; outbox: number; chains: number }>((resolve, reject) => {
        const req = indexedDB.open("parley");
        req.onerror = () => reject(new Error("no IndexedDB"));
        req.onsuccess = () => {
          const tx = req.result.transaction(["consultKeys", "outbox", "chains"]);
          const counts = { keys: 0, outbox: 0, chains: 0 };
          const count = (store: "consultKeys" | "outbox" | "chains", field: "keys" | "outbox" | "chains") => {
            const all = tx.objectStore(store).getAll();
            all.onsuccess = () => {
              counts[field] = (all.result as { consult?: string; key?: string }[]).filter((r) => (r.consult ?? r.key ?? "").includes(id)).length;
            };
          };
          count("consultKeys", "keys");
          count("outbox", "outbox");
          count("chains", "chains");
          tx.oncomplete = () => resolve(counts);
        };
      }),
    consultId,
  );
}

test("after the consult: the doctor still reads and exports the history; a device erases its keys; the doctor deletes the ciphertext on the server", async () => {
  await call.doctor.getByTestId("end-consult").click();
  await expect(call.patient.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");

  // The patient removes the consult from this device: its keys, outbox and chain state go.
  expect((await localChatState(call.patient, call.consultId)).keys).toBeGreaterThan(0);
  await call.patient.getByTestId("chat-erase").click();
  await call.patient.getByTestId("chat-confirm").click();
  await expect(messages(call.patient)).toHaveCount(0);
  expect(await localChatState(call.patient, call.consultId)).toEqual({ keys: 0, outbox: 0, chains: 0 });
  await call.patient.reload();
  for (const text of sent) await expect(call.patient.getByText(text)).toHaveCount(0);

  // The doctor, back in the ended consult, reads the history (read-only) and can export it.
  await call.doctor.reload();
  for (const text of sent) await expect(message(call.doctor, text)).toHaveCount(1);
  await expect(call.doctor.getByTestId("chat-input")).toBeDisabled();
  const download = call.doctor.waitForEvent("download");
  await call.doctor.getByTestId("chat-export").click();
  expect(await readFile(await (await download).path(), "utf8")).toContain(sent[0] ?? "missing");

  // Deleting on the server removes every stored message of the consult, for everyone.
  expect((await db.messagesOf(call.consultId)).length).toBeGreaterThan(0);
  await call.doctor.getByTestId("chat-delete-server").click();
  await call.doctor.getByTestId("chat-confirm").click();
  await expect(call.doctor.getByText("You deleted this consult's messages from the server.")).toBeVisible();
  expect(await db.messagesOf(call.consultId)).toEqual([]);
  await call.doctor.reload();
  await expect(messages(call.doctor)).toHaveCount(0);
});
