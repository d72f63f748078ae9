// What the browser benchmarks share: launching Chromium (e2e/support/chromium.ts: Debian's, with
// fake media and no network of its own) with the PID of its process tree, and a consult as people
// set it up in the room — the demo doctor signs in and opens a consult, a guest patient joins from
// the invite link, the doctor admits, both confirm the call code.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutable } from "../../e2e/support/chromium";
import { children } from "./cpu";

export type LaunchedBrowser = { browser: Browser; /** the browser process (its tree holds renderers, GPU, network service); undefined if not found */ pid: number | undefined };

const commOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

/** Launches Chromium; Playwright starts it as a child of this process, which is how its PID is found. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const before = new Set(children(process.pid));
  const browser = await chromium.launch({ executablePath: chromiumExecutable(), args: CHROMIUM_ARGS });
  const pid = children(process.pid).find((p) => !before.has(p) && /chrom/i.test(commOf(p)));
  return { browser, pid };
}

export type LaunchedContext = { context: BrowserContext; pid: number | undefined; /** closes the browser and removes its profile */ close: () => Promise<void> };

/**
 * Launches Chromium with a profile of its own on disk (a temporary directory), as people's
 * browsers run: an incognito context (what launch() + newContext() give) keeps the origin-private
 * file system in memory, which would hide what a page spooling to disk saves.
 */
export async function launchWithProfile(options: Parameters<typeof chromium.launchPersistentContext>[1] = {}): Promise<LaunchedContext> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "parley-bench-profile-"));
  const before = new Set(children(process.pid));
  const context = await chromium.launchPersistentContext(dir, { ...options, executablePath: chromiumExecutable(), args: CHROMIUM_ARGS });
  const pid = children(process.pid).find((p) => !before.has(p) && /chrom/i.test(commOf(p)));
  return {
    context,
    pid,
    close: async () => {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Functions a benchmark runs in a page (page.evaluate) are compiled by tsx, which wraps named
 * functions in a `__name(fn, "name")` helper that exists only in Node: give pages a stand-in.
 */
export async function allowNamedFunctions(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    (globalThis as { __name?: unknown }).__name = (fn: unknown) => fn;
  });
}

export async function signInDoctor(page: Page): Promise<void> {
  await page.goto("/sign-in");
  await page.locator('input[name="email"]').fill("doctor@parley.test");
  await page.locator('input[name="password"]').fill(process.env.DEMO_PASSWORD ?? "parley-demo");
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(/\/dashboard$/);
}

/**
 * The demo doctor (signing in on `doctor`) opens a consult, the patient joins it from the invite
 * and is admitted, both confirm the call code, and chat (so the consult key) is open on both
 * sides. Returns the consult's id.
 */
export async function verifiedConsult(doctor: Page, patient: Page, patientName: string): Promise<string> {
  await signInDoctor(doctor);
  await doctor.getByTestId("new-consult").click();
  await doctor.waitForURL(/\/consults\//);
  const consultId = new URL(doctor.url()).pathname.split("/").pop() ?? "";
  const inviteUrl = await doctor.getByTestId("invite-link").inputValue();
  await patient.goto(inviteUrl);
  await patient.getByTestId("guest-name").fill(patientName);
  await patient.getByTestId("join").click();
  await doctor.getByTestId("admit").click();
  for (const page of [doctor, patient]) await page.getByTestId("verify-confirm").click({ timeout: 30_000 });
  for (const page of [doctor, patient]) await page.locator('[data-testid="chat-input"]:enabled').waitFor({ timeout: 30_000 });
  return consultId;
}
