// The `staff` project's server (playwright.config.ts): a clinic's first run on the embedded
// default, nothing seeded. Its output is kept in <data>/server.log, where the setup link appears;
// `npm run admin` reaches it through its admin socket in the same DATA_DIR.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "@playwright/test";

export const STAFF_DATA_DIR = path.resolve(`${process.env.PARLEY_TEST_RUN ?? ".test-stack"}/app-staff`);
export const STAFF_PORT = 3104;

const SETUP_URL = /(http:\/\/\S+\/setup\/[A-Za-z0-9_-]{43})/g;

/** The setup links the server printed so far, oldest first. */
export function setupLinksInLog(): string[] {
  let log = "";
  try {
    log = readFileSync(path.join(STAFF_DATA_DIR, "server.log"), "utf8");
  } catch {
    return [];
  }
  return [...log.matchAll(SETUP_URL)].map((m) => m[1] ?? "");
}

export async function firstSetupLinkInLog(): Promise<string> {
  await expect.poll(() => setupLinksInLog().length, { message: "the server prints a setup link at start" }).toBeGreaterThan(0);
  return setupLinksInLog()[0] ?? "";
}

const run = promisify(execFile);

/** `npm run admin -- <argv>` against the staff server, as a clinic admin would run it on that machine. */
export async function adminCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: STAFF_DATA_DIR, HOST: "127.0.0.1", PORT: String(STAFF_PORT), PUBLIC_URL: `http://localhost:${STAFF_PORT}`, SEED_DEMO: "false" };
  delete env.DATABASE_URL;
  try {
    const r = await run("npm", ["run", "--silent", "admin", "--", ...argv], { env, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
