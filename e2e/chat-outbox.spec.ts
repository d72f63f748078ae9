// Issue 20, item 8: sealing a message into the outbox takes the chain's next seq and stores the
// entry and the advanced chain in one IndexedDB transaction. A transaction commits once no request
// is pending at the end of a task, so anything awaited between the two writes that resolves in a
// later task (WebCrypto does, in most engines) would commit the entry alone and hand the same seq
// to the next message. Chromium resolves a digest soon enough to hide this; here the pages' digest
// resolves one timer later, as other engines' may, and a burst must still arrive whole.
import { expect, test, type BrowserContext } from "@playwright/test";
import { admitPatient, expectConnected, type TwoParty } from "./flows/consult";
import { TestDb } from "./support/db";

test.describe.configure({ mode: "serial" });

/** crypto.subtle.digest, resolved in a later task than the engine's own. */
async function slowDigest(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied to each caller's SubtleCrypto below
    const digest = SubtleCrypto.prototype.digest;
    SubtleCrypto.prototype.digest = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto["digest"]>) {
      return digest.apply(this, args).then((d) => new Promise<ArrayBuffer>((resolve) => setTimeout(() => resolve(d), 2)));
    };
  });
}

let db: TestDb;
let call: TwoParty | undefined;

test.beforeAll(async () => {
  db = await TestDb.connect();
});
test.afterAll(async () => {
  await call?.close();
  await db?.close();
});

test("with a digest that resolves in a later task, a burst of messages keeps one seq each and arrives whole, in order", async ({ browser, baseURL }) => {
  call = await admitPatient(browser, baseURL, "Outbox Patient", { prepare: slowDigest });
  await expectConnected(call.doctor);
  await expectConnected(call.patient);
  for (const page of [call.doctor, call.patient]) await page.getByTestId("verify-confirm").click();
  for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");

  const burst = Array.from({ length: 6 }, (_, i) => `outbox-${i}-${Math.random().toString(36).slice(2, 8)}`);
  for (const text of burst) {
    await call.patient.getByTestId("chat-input").fill(text);
    await call.patient.getByTestId("chat-send").click();
    await expect(call.patient.getByTestId("chat-input")).toHaveValue("");
  }
  const onDoctor = call.doctor.getByTestId("chat-message");
  for (const text of burst) await expect(onDoctor.filter({ hasText: text })).toHaveCount(1);
  await expect(onDoctor).toHaveCount(burst.length);
  await expect(call.doctor.locator('[data-testid="chat-message"][data-state="unverifiable"]')).toHaveCount(0);
  const order = await onDoctor.allTextContents();
  expect(burst.map((b) => order.findIndex((t) => t.includes(b)))).toEqual(burst.map((_, i) => i));
  for (const text of burst) await expect(call.patient.getByTestId("chat-message").filter({ hasText: text })).not.toHaveAttribute("data-state", /sending|failed/);

  // On the server: one row per message, the patient's device's seqs 0..n-1, none taken twice.
  const stored = await db.messagesOf(call.consultId);
  expect(stored).toHaveLength(burst.length);
  expect(stored.map((m) => m.seq).sort((a, b) => a - b)).toEqual(burst.map((_, i) => i));
});
