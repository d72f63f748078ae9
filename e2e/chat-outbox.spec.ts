// Issue 20, item 8: sealing a message into the outbox takes the chain's next seq and stores the
// entry and the advanced chain in one IndexedDB transaction. A transaction commits once no request
// is pending at the end of a task, so anything awaited between the two writes that resolves in a
// later task (WebCrypto does, in most engines) would commit the entry alone and hand the same seq
// to the next message. Chromium resolves a digest soon enough to hide this; here the pages' digest
// resolves one timer later, as other engines' may, and a burst must still arrive whole.
// Issue 24: a message is on screen in the click's frame, and a reload before its sealed copy is
// stored still sends it, once (the tab keeps it masked until then: lib/client/chat/send-drafts.ts).
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

/**
 * The patient's page can be told to never finish sealing (`window.__holdSealing = true`): the chat's
 * Web Lock is then never granted, so nothing of the message reaches the outbox before the page goes.
 * A reloaded page starts without the flag.
 */
async function holdableSealing(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied to each caller's LockManager below
    const request = LockManager.prototype.request;
    LockManager.prototype.request = function (this: LockManager, ...args: unknown[]) {
      const held = (window as { __holdSealing?: boolean }).__holdSealing && typeof args[0] === "string" && args[0].startsWith("parley-chat|");
      if (held) return new Promise<never>(() => undefined);
      return (request as (...a: unknown[]) => Promise<unknown>).apply(this, args);
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
  call = await admitPatient(browser, baseURL, "Outbox Patient", { prepare: slowDigest, preparePatient: holdableSealing });
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

test("a message is on the screen, sending, in the first frame after Send, as the one element that later shows it sent", async () => {
  if (!call) throw new Error("no call");
  const text = `instant-${Math.random().toString(36).slice(2, 8)}`;
  await call.patient.getByTestId("chat-input").fill(text);
  const firstFrame = await call.patient.evaluate((t) => {
    document.querySelector<HTMLButtonElement>('[data-testid="chat-send"]')?.click();
    return new Promise<{ count: number; state: string | null }>((resolve) =>
      requestAnimationFrame(() => {
        const shown = [...document.querySelectorAll('[data-testid="chat-message"]')].filter((el) => el.textContent?.includes(t));
        (window as { __instant?: Element }).__instant = shown[0];
        resolve({ count: shown.length, state: shown[0]?.getAttribute("data-state") ?? null });
      }),
    );
  }, text);
  expect(firstFrame).toEqual({ count: 1, state: "sending" });
  const mine = call.patient.getByTestId("chat-message").filter({ hasText: text });
  await expect(mine).toHaveAttribute("data-state", /sent|delivered|read/);
  await expect(mine).toHaveCount(1);
  // the same DOM element, not a second one put in its place
  expect(await mine.evaluate((el) => el === (window as { __instant?: Element }).__instant)).toBe(true);
  await expect(call.doctor.getByTestId("chat-message").filter({ hasText: text })).toHaveCount(1);
});

test("a reload in the task of the click still sends the message, once; the tab held it masked meanwhile", async () => {
  if (!call) throw new Error("no call");
  const before = (await db.messagesOf(call.consultId)).length;
  const text = `reloaded-${Math.random().toString(36).slice(2, 8)}`;
  await call.patient.getByTestId("chat-input").fill(text);
  // Send, and reload in the same task. Left alone, the old page would often finish sealing (and even
  // posting) while the reload's request is under way, so here its sealing never finishes: without
  // what the tab kept, the message is lost. What the tab's session storage held at that moment goes
  // across the reload in window.name.
  await call.patient.evaluate((t) => {
    (window as { __holdSealing?: boolean }).__holdSealing = true;
    document.querySelector<HTMLButtonElement>('[data-testid="chat-send"]')?.click();
    const kept = Object.keys(sessionStorage).filter((k) => k.startsWith("parley-unsealed|"));
    window.name = JSON.stringify({ kept: kept.length, plaintext: kept.some((k) => sessionStorage.getItem(k)?.includes(t)) });
    location.reload();
  }, text);
  await expect(call.doctor.getByTestId("chat-message").filter({ hasText: text })).toHaveCount(1);
  await expectConnected(call.patient);
  const mine = call.patient.getByTestId("chat-message").filter({ hasText: text });
  await expect(mine).toHaveCount(1);
  await expect(mine).not.toHaveAttribute("data-state", /sending|failed/);
  expect((await db.messagesOf(call.consultId)).length).toBe(before + 1);
  expect(JSON.parse(await call.patient.evaluate(() => window.name))).toEqual({ kept: 1, plaintext: false });
  await expect.poll(() => call?.patient.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("parley-unsealed|")).length)).toBe(0);
  await call.patient.evaluate(() => (window.name = ""));
});

test("20 messages sent within one second arrive in order, each once, one seq each", async () => {
  if (!call) throw new Error("no call");
  await expectConnected(call.patient);
  const before = await db.messagesOf(call.consultId);
  const burst = Array.from({ length: 20 }, (_, i) => `fast-${i}-${Math.random().toString(36).slice(2, 8)}`);
  // Typed and sent in the page, one every 45 ms (19 gaps: 855 ms), as a fast typist with Enter would:
  // each text goes into the box as an input event, and Send is pressed once the box has taken it.
  const sentAt = await call.patient.evaluate(async (texts) => {
    const box = document.querySelector<HTMLTextAreaElement>('[data-testid="chat-input"]');
    const send = document.querySelector<HTMLButtonElement>('[data-testid="chat-send"]');
    // React tracks the box's value: set it through the element's own setter, as typing does
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the box as `this` below
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")?.set;
    if (!box || !send || !setValue) throw new Error("no chat box");
    const start = performance.now();
    const at: number[] = [];
    for (const [i, t] of texts.entries()) {
      while (performance.now() - start < i * 45) await new Promise((r) => setTimeout(r, 1));
      setValue.call(box, t);
      box.dispatchEvent(new Event("input", { bubbles: true }));
      while (send.disabled) await new Promise((r) => setTimeout(r, 0));
      send.click();
      at.push(performance.now() - start);
    }
    return at;
  }, burst);
  const burstTook = `${burst.length} messages sent in ${Math.round(sentAt.at(-1) ?? 0)} ms (Send pressed at ${sentAt.map((t) => Math.round(t)).join(", ")} ms)`;
  test.info().annotations.push({ type: "burst", description: burstTook });
  console.log(`chat-outbox: ${burstTook}`);
  const onDoctor = call.doctor.getByTestId("chat-message");
  for (const text of burst) await expect(onDoctor.filter({ hasText: text })).toHaveCount(1);
  const order = await onDoctor.allTextContents();
  const where = burst.map((b) => order.findIndex((t) => t.includes(b)));
  expect(where).not.toContain(-1);
  expect(where).toEqual([...where].sort((a, b) => a - b));
  for (const text of burst) await expect(call.patient.getByTestId("chat-message").filter({ hasText: text })).toHaveCount(1);
  const stored = (await db.messagesOf(call.consultId)).filter((m) => !before.some((b) => b.id === m.id));
  expect(stored).toHaveLength(burst.length);
  const seqs = stored.map((m) => m.seq).sort((a, b) => a - b);
  expect(new Set(seqs).size).toBe(burst.length);
  expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
});
