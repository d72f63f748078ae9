// Relay-only calls (a clinic whose calls all go through TURN, ICE_TRANSPORT_POLICY=relay) against a
// real coturn (scripts/turn.sh): call set-up as in call-setup.ts, and recovery after the relay
// drops mid-call — coturn stopped until both sides show "reconnecting" and then for 6 s more (too
// long for an ICE restart to save the connection: both sides start a new verified handshake),
// started again; the clock runs from its start until both sides are connected and verified again.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { callSetup, type CallSetup } from "./call-setup";
import { launchChromium, verifiedConsult } from "./lib/browser";
import { startServer } from "./lib/server";
import { summarize, type Summary } from "./lib/stats";

export type RelayResult = { setup: CallSetup; recovery: Summary; detect: Summary; drops: number };

const DOWN_MS = 6_000;

function coturn(dir: string, cmd: "start" | "stop", port: number): string {
  return execFileSync("bash", ["scripts/turn.sh", cmd, dir, ...(cmd === "start" ? [String(port)] : [])], { encoding: "utf8" });
}

async function waitState(page: Page, id: string, state: string, timeout = 30_000): Promise<void> {
  await page.locator(`[data-testid="${id}"][data-state="${state}"]`).first().waitFor({ timeout });
}

export async function relayBench(opts: { calls: number; drops: number }): Promise<RelayResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "parley-bench-turn-"));
  const port = 3478;
  const env = Object.fromEntries(
    coturn(dir, "start", port)
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  ) as Record<string, string>;
  const server = await startServer(3203, { TURN_URLS: env.TURN_URLS ?? "", TURN_SECRET: env.TURN_SECRET ?? "", ICE_TRANSPORT_POLICY: "relay" });
  try {
    const setup = await callSetup(server.baseURL, opts.calls);
    const recovery: number[] = [];
    const detect: number[] = [];
    const { browser } = await launchChromium();
    try {
      const contexts = await Promise.all([0, 1].map(() => browser.newContext({ baseURL: server.baseURL, permissions: ["camera", "microphone"] })));
      const [doctor, patient] = await Promise.all(contexts.map((c) => c.newPage())) as [Page, Page];
      await verifiedConsult(doctor, patient, "Relay Bench Patient");
      for (let i = 0; i < opts.drops; i++) {
        const stopped = Date.now();
        coturn(dir, "stop", port);
        try {
          await Promise.all([doctor, patient].map((p) => waitState(p, "connection-state", "reconnecting")));
          detect.push(Date.now() - stopped);
          await doctor.waitForTimeout(DOWN_MS);
        } finally {
          coturn(dir, "start", port);
        }
        const back = Date.now();
        await Promise.all([doctor, patient].map((p) => waitState(p, "connection-state", "connected")));
        await Promise.all([doctor, patient].map((p) => waitState(p, "e2ee-status", "verified")));
        recovery.push(Date.now() - back);
      }
    } finally {
      await browser.close();
    }
    return { setup, recovery: summarize(recovery), detect: summarize(detect), drops: opts.drops };
  } finally {
    await server.stop();
    try {
      coturn(dir, "stop", port);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
