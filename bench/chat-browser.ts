// Chat latency in two real browsers (issue 24): from a press of Send to the sender's own bubble, to
// that bubble leaving "sending", and to the message decrypted and rendered on the other screen, both
// ways in one verified consult, with the sender's step marks (lib/client/chat/chat-timeline.ts). The pages
// stamp times with performance.timeOrigin + performance.now(), one clock on one machine: the
// sender stamps just before it clicks Send; a MutationObserver on the receiver stamps the moment
// the chat-message with the marker appears. Everything between is the real path: seal into the
// IndexedDB outbox, POST, the event log, the SSE stream, open (AES-GCM, ECDSA), React render.
import type { Page } from "@playwright/test";
import { summarize, type Summary } from "./lib/stats";
import { launchChromium, verifiedConsult } from "./lib/browser";
import { CHAT_MARK_PREFIX, CHAT_STEPS, type ChatStep } from "../lib/client/chat/chat-timeline";

declare global {
  interface Window {
    /** marker → when it first showed on this screen, and when it first showed as not "sending" */
    __chatSeen?: Record<string, { shown: number; settled?: number }>;
  }
}

async function watchArrivals(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, { shown: number; settled?: number }> = {};
    window.__chatSeen = seen;
    // (no named functions in here: the bench runs under tsx, whose helpers do not exist in the page)
    new MutationObserver(() => {
      const at = performance.timeOrigin + performance.now();
      for (const el of document.querySelectorAll('[data-testid="chat-message"]')) {
        const m = /bench-\d+-[a-z0-9]+/.exec(el.textContent ?? "");
        if (!m) continue;
        const s = (seen[m[0]] ??= { shown: at });
        const state = el.getAttribute("data-state");
        if (s.settled === undefined && state && state !== "sending") s.settled = at;
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["data-state"] });
  });
}

/** How long a person takes to type a short message: their "typing…" goes out at the first key, this long before Send (the pace: one message every 300 ms). */
const TYPING_MS = 300;

async function sendStamped(page: Page, text: string): Promise<number> {
  await page.getByTestId("chat-input").fill(text);
  await page.waitForTimeout(TYPING_MS);
  return page.evaluate(() => {
    performance.clearMarks();
    performance.clearResourceTimings();
    const t = performance.timeOrigin + performance.now();
    document.querySelector<HTMLButtonElement>('[data-testid="chat-send"]')?.click();
    return t;
  });
}

/** When `marker` showed on `page` (and, `settled`, when it stopped being "sending" there). */
async function seen(page: Page, marker: string, settled = false): Promise<number> {
  const h = await page.waitForFunction(({ m, settled }) => (settled ? window.__chatSeen?.[m]?.settled : window.__chatSeen?.[m]?.shown), { m: marker, settled }, { timeout: 15_000, polling: 5 });
  return (await h.jsonValue()) as number;
}

/** The message POST as the browser's resource timing sees it: its request sent, the server's answer begun. */
const NET_STEPS = ["request-sent", "response-began"] as const;
type Step = ChatStep | (typeof NET_STEPS)[number];

/** The sender's chat marks since the click (lib/client/chat/chat-timeline.ts), and its message POST's timing, ms after `t0`. */
async function stepsSince(page: Page, t0: number): Promise<Partial<Record<Step, number>>> {
  const { marks, posts } = await page.evaluate(
    (prefix) => ({
      marks: performance
        .getEntriesByType("mark")
        .filter((m) => m.name.startsWith(prefix))
        .map((m) => ({ name: m.name.slice(prefix.length), at: performance.timeOrigin + m.startTime })),
      posts: (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
        .filter((r) => r.initiatorType === "fetch" && /\/api\/consults\/[^/]+\/messages$/.test(new URL(r.name).pathname))
        .map((r) => ({ sent: performance.timeOrigin + r.requestStart, began: performance.timeOrigin + r.responseStart })),
    }),
    CHAT_MARK_PREFIX,
  );
  const out: Partial<Record<Step, number>> = {};
  for (const m of marks) if (out[m.name as ChatStep] === undefined) out[m.name as ChatStep] = m.at - t0;
  // the message's POST: the first message request sent after the "post" mark
  const from = out.post;
  const post = from === undefined ? undefined : posts.find((p) => p.sent - t0 >= from - 1);
  if (post) {
    out["request-sent"] = post.sent - t0;
    out["response-began"] = post.began - t0;
  }
  return out;
}

export type ChatBrowser = {
  messages: number;
  /** Send pressed → the message decrypted on the other screen */
  latency: Summary;
  /** Send pressed → the sender's own bubble on screen */
  ownBubble: Summary;
  /** Send pressed → the sender's bubble leaves "sending" (the server has it) */
  sent: Summary;
  /** each step's median, ms after Send was pressed (the sender's marks) */
  steps: { step: Step; p50: number | undefined }[];
};

/** `videoOff`: both turn their cameras off first, so video encoding does not compete with the server for the CPU. */
export async function chatBrowser(baseURL: string, messages: number, videoOff = false): Promise<ChatBrowser> {
  const { browser } = await launchChromium();
  const other: number[] = [];
  const own: number[] = [];
  const sent: number[] = [];
  const steps: Partial<Record<Step, number>>[] = [];
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
      const [tOwn, tSent, tOther] = await Promise.all([seen(from, marker), seen(from, marker, true), seen(to, marker)]);
      if (i >= 0) {
        own.push(tOwn - t0);
        sent.push(tSent - t0);
        other.push(tOther - t0);
        steps.push(await stepsSince(from, t0));
      }
      await from.waitForTimeout(50);
    }
    await doctor.getByTestId("end-consult").click();
  } finally {
    await browser.close();
  }
  const median = (xs: number[]) => (xs.length ? summarize(xs).p50 : undefined);
  return {
    messages,
    latency: summarize(other),
    ownBubble: summarize(own),
    sent: summarize(sent),
    steps: [...CHAT_STEPS.slice(0, -1), ...NET_STEPS, "posted" as const].map((step) => ({ step, p50: median(steps.flatMap((s) => (s[step] === undefined ? [] : [s[step]]))) })),
  };
}
