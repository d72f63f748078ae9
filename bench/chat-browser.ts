// Chat latency in two real browsers: from the doctor's press of Send to the message decrypted and
// rendered on the patient's screen (and back the other way), in one verified consult. The pages
// stamp times with performance.timeOrigin + performance.now(), one clock on one machine: the
// sender stamps just before it clicks Send; a MutationObserver on the receiver stamps the moment
// the chat-message with the marker appears. Everything between is the real path: seal into the
// IndexedDB outbox, POST, the event log, the SSE stream, open (AES-GCM, ECDSA), React render.
import type { Page } from "@playwright/test";
import { summarize, type Summary } from "./lib/stats";
import { launchChromium, verifiedConsult } from "./lib/browser";

declare global {
  interface Window {
    __chatArrivals?: Record<string, number>;
  }
}

async function watchArrivals(page: Page): Promise<void> {
  await page.evaluate(() => {
    const arrivals: Record<string, number> = {};
    window.__chatArrivals = arrivals;
    // (no named functions in here: the bench runs under tsx, whose helpers do not exist in the page)
    new MutationObserver(() => {
      const at = performance.timeOrigin + performance.now();
      for (const el of document.querySelectorAll('[data-testid="chat-message"]')) {
        const m = /bench-\d+-[a-z0-9]+/.exec(el.textContent ?? "");
        if (m && arrivals[m[0]] === undefined) arrivals[m[0]] = at;
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}

async function sendStamped(page: Page, text: string): Promise<number> {
  await page.getByTestId("chat-input").fill(text);
  return page.evaluate(() => {
    const t = performance.timeOrigin + performance.now();
    document.querySelector<HTMLButtonElement>('[data-testid="chat-send"]')?.click();
    return t;
  });
}

async function arrival(page: Page, marker: string): Promise<number> {
  const h = await page.waitForFunction((m) => window.__chatArrivals?.[m], marker, { timeout: 15_000, polling: 10 });
  return (await h.jsonValue()) as number;
}

export type ChatBrowser = { messages: number; latency: Summary };

/** `videoOff`: both turn their cameras off first, so video encoding does not compete with the server for the CPU. */
export async function chatBrowser(baseURL: string, messages: number, videoOff = false): Promise<ChatBrowser> {
  const { browser } = await launchChromium();
  const samples: number[] = [];
  try {
    const doctorContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
    const patientContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
    const doctor = await doctorContext.newPage();
    const patient = await patientContext.newPage();
    await verifiedConsult(doctor, patient, "Bench Chat Patient");
    if (videoOff) for (const page of [doctor, patient]) await page.getByTestId("toggle-camera").click();
    for (const page of [doctor, patient]) await watchArrivals(page);
    // a warm-up message each way, not counted
    for (let i = -2; i < messages; i++) {
      const [from, to] = i % 2 === 0 ? [doctor, patient] : [patient, doctor];
      const marker = `bench-${i + 2}-${Math.random().toString(36).slice(2, 10)}`;
      const t0 = await sendStamped(from, marker);
      const t1 = await arrival(to, marker);
      if (i >= 0) samples.push(t1 - t0);
      await from.waitForTimeout(50);
    }
    await doctor.getByTestId("end-consult").click();
  } finally {
    await browser.close();
  }
  return { messages, latency: summarize(samples) };
}
