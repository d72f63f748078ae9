// Call set-up: from the doctor's click on "admit" to the first decoded remote video frame on both
// sides, in two real Chromium browsers with fake cameras (inside the private network namespace).
// Both pages are loaded and have their local media before the click, as in a real consult.
import type { BrowserContext, Page } from "@playwright/test";
import { summarize, type Summary } from "./lib/stats";
import { launchChromium, signInDoctor } from "./lib/browser";
import { CALL_MARK_PREFIX, CALL_STEPS, type CallStep } from "../lib/rtc/call-timeline";

declare global {
  interface Window {
    __firstRemoteFrameAt?: number;
  }
}

/**
 * Records, in the page, the wall-clock time at which the remote <video> first has a decoded frame
 * (checked every 5 ms; requestVideoFrameCallback is not reliable for background headless pages).
 */
async function watchFirstRemoteFrame(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const poll = setInterval(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
      if (!v || v.readyState < 2 || v.videoWidth === 0) return;
      clearInterval(poll);
      window.__firstRemoteFrameAt = Date.now();
    }, 5);
  });
}

async function firstFrameAt(page: Page): Promise<number> {
  const handle = await page.waitForFunction(() => window.__firstRemoteFrameAt, undefined, { timeout: 30_000, polling: 20 });
  return (await handle.jsonValue()) as number;
}

/** Each step's first performance mark in the page (lib/rtc/call-timeline.ts), in ms after `t0`. */
async function timeline(page: Page, t0: number): Promise<Partial<Record<CallStep, number>>> {
  // The performance timeline runs on a monotonic clock that drifts from the wall clock the bench
  // (and Date.now() in the page) uses: each mark is moved by the page's drift measured now.
  const marks = await page.evaluate((prefix) => {
    const drift = Date.now() - (performance.timeOrigin + performance.now());
    return performance
      .getEntriesByType("mark")
      .filter((m) => m.name.startsWith(prefix))
      .map((m) => ({ step: m.name.slice(prefix.length), at: performance.timeOrigin + m.startTime + drift }));
  }, CALL_MARK_PREFIX);
  const out: Partial<Record<CallStep, number>> = {};
  for (const { step, at } of marks) if ((CALL_STEPS as readonly string[]).includes(step) && out[step as CallStep] === undefined) out[step as CallStep] = at - t0;
  return out;
}

/** A step's times on one side: its median, in ms after the admit click. */
export type Timeline = { step: CallStep | "first-frame"; doctor?: number; patient?: number }[];

/** One call's marks on each side, ms after its admit click (medians of different calls do not add up). */
export type CallMarks = { doctor: Partial<Record<CallStep, number>>; patient: Partial<Record<CallStep, number>>; firstFrame: { doctor: number; patient: number } };

export type CallSetup = { calls: number; both: Summary; doctor: Summary; patient: Summary; timeline: Timeline; perCall: CallMarks[] };

function medianTimeline(doctor: Partial<Record<CallStep, number>>[], patient: Partial<Record<CallStep, number>>[], frames: { doctor: number[]; patient: number[] }): Timeline {
  const p50 = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length > 0 ? Math.round(summarize(v).p50) : undefined;
  };
  return [
    ...CALL_STEPS.map((step) => ({ step, doctor: p50(doctor.map((t) => t[step])), patient: p50(patient.map((t) => t[step])) })),
    { step: "first-frame" as const, doctor: p50(frames.doctor), patient: p50(frames.patient) },
  ];
}

/** `patientBaseURL`: the patient's browser uses another instance of Parley (on the same database). */
export async function callSetup(baseURL: string, calls: number, patientBaseURL = baseURL): Promise<CallSetup> {
  const { browser } = await launchChromium();
  const both: number[] = [];
  const doctorSide: number[] = [];
  const patientSide: number[] = [];
  const doctorMarks: Partial<Record<CallStep, number>>[] = [];
  const patientMarks: Partial<Record<CallStep, number>>[] = [];
  try {
    const doctorContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
    await watchFirstRemoteFrame(doctorContext);
    const signInPage = await doctorContext.newPage();
    await signInDoctor(signInPage);
    await signInPage.close();
    for (let i = -1; i < calls; i++) {
      // call -1 warms the server and the browser up and is not counted
      const doctor = await doctorContext.newPage();
      await doctor.goto("/dashboard");
      await doctor.getByTestId("new-consult").click();
      await doctor.waitForURL(/\/consults\//);
      const invite = new URL(await doctor.getByTestId("invite-link").inputValue());
      const inviteUrl = new URL(invite.pathname + invite.search + invite.hash, patientBaseURL).href;
      const patientContext = await browser.newContext({ baseURL: patientBaseURL, permissions: ["camera", "microphone"] });
      await watchFirstRemoteFrame(patientContext);
      const patient = await patientContext.newPage();
      await patient.goto(inviteUrl);
      await patient.getByTestId("guest-name").fill(`Bench Patient ${i}`);
      await patient.getByTestId("join").click();
      // The room's waiting room, not the join page that has a preview too: clicking "admit" while
      // the patient's room still loads would time its page load as set-up.
      await patient
        .getByTestId("waiting-room")
        .getByTestId("preview-video")
        .evaluate((v: HTMLVideoElement) => new Promise((r) => (v.readyState >= 2 ? r(null) : v.addEventListener("loadeddata", () => r(null)))));
      const admit = doctor.getByTestId("admit");
      await admit.waitFor();
      const t0 = Date.now();
      await admit.click();
      const [d, p] = await Promise.all([firstFrameAt(doctor), firstFrameAt(patient)]).catch(async (err: unknown) => {
        const state = async (page: Page) =>
          `${await page.getByTestId("connection-state").textContent()} / ${await page
            .getByTestId("e2ee-status")
            .getAttribute("data-state")
            .catch(() => "-")}`;
        throw new Error(`call ${i} did not come up: doctor "${await state(doctor)}", patient "${await state(patient)}"`, { cause: err });
      });
      if (i >= 0) {
        doctorSide.push(d - t0);
        patientSide.push(p - t0);
        both.push(Math.max(d, p) - t0);
        doctorMarks.push(await timeline(doctor, t0));
        patientMarks.push(await timeline(patient, t0));
      }
      await doctor.getByTestId("end-consult").click();
      await patientContext.close();
      await doctor.close();
    }
  } finally {
    await browser.close();
  }
  return {
    calls,
    both: summarize(both),
    doctor: summarize(doctorSide),
    patient: summarize(patientSide),
    timeline: medianTimeline(doctorMarks, patientMarks, { doctor: doctorSide, patient: patientSide }),
    perCall: doctorMarks.map((doctor, i) => ({ doctor, patient: patientMarks[i] ?? {}, firstFrame: { doctor: doctorSide[i] ?? NaN, patient: patientSide[i] ?? NaN } })),
  };
}
