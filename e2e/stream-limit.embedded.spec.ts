// Event streams that end themselves every 5 s (STREAM_MAX_SECONDS=5 on the embedded server,
// playwright.config.ts), as they must on a serverless platform that cuts a response off: a 30 s
// consult with chat both ways loses nothing, shows nothing twice, keeps the call up, and the
// room never shows "reconnecting".
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { admitPatient, expectConnected } from "./flows/consult";
import { verifyCall } from "./flows/files";

const RECONNECTING = '[data-testid="stream-reconnecting"], [data-testid="call-reconnecting"], [data-testid="connection-state"][data-state="reconnecting"]';

/** Records on the page whether anything saying "reconnecting" is ever shown from now on. */
async function watchReconnecting(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate((selector) => {
    const w = window as unknown as { __parleySawReconnecting?: boolean };
    w.__parleySawReconnecting = document.querySelector(selector) !== null;
    new MutationObserver(() => {
      if (document.querySelector(selector)) w.__parleySawReconnecting = true;
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  }, RECONNECTING);
  return () => page.evaluate(() => (window as unknown as { __parleySawReconnecting?: boolean }).__parleySawReconnecting === true);
}

/** The numbers of this run's messages on the page, in the order shown. */
async function shown(page: Page, tag: string): Promise<number[]> {
  const texts = await page.getByTestId("chat-message").allTextContents();
  return texts.flatMap((t) => [...t.matchAll(new RegExp(`m(\\d+)-${tag}`, "g"))].map((m) => Number(m[1])));
}

test("with streams ending every 5 s, a 30 s consult with chat loses and repeats nothing and never shows reconnecting", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const tag = randomBytes(4).toString("hex");
  const call = await admitPatient(browser, baseURL, `Stream Sam ${tag}`);
  try {
    await verifyCall(call);
    const sawReconnecting = await Promise.all([call.doctor, call.patient].map(watchReconnecting));
    const streamsOpened = [0, 0];
    [call.doctor, call.patient].forEach((page, i) =>
      page.on("request", (r) => {
        if (/\/api\/consults\/[^/]+\/events/.test(r.url())) streamsOpened[i]!++;
      }),
    );

    const sent: number[] = [];
    const started = Date.now();
    for (let n = 0; Date.now() - started < 30_000; n++) {
      const from = n % 2 === 0 ? call.doctor : call.patient;
      await from.getByTestId("chat-input").fill(`m${n}-${tag}`);
      await from.getByTestId("chat-send").click();
      await expect(from.getByTestId("chat-input")).toHaveValue("");
      sent.push(n);
      await from.waitForTimeout(700);
    }

    for (const page of [call.doctor, call.patient]) {
      await expect.poll(() => shown(page, tag), { timeout: 15_000 }).toEqual(sent);
      await expectConnected(page);
    }
    // The streams really ended and were opened again (30 s at 5 s each), each time unseen.
    for (const n of streamsOpened) expect(n).toBeGreaterThanOrEqual(4);
    for (const saw of sawReconnecting) expect(await saw()).toBe(false);
  } finally {
    await call.close();
  }
});
