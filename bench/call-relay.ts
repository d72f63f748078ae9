// Relay-only calls (a clinic whose calls all go through TURN, ICE_TRANSPORT_POLICY=relay) against a
// real coturn (scripts/turn.sh): call set-up as in call-setup.ts, and recovery after the relay goes
// away mid-call (the calls' allocations are gone when it is back), in one verified call:
// - blips: coturn stopped for `blipMs` (a second or two), then started again;
// - drops: coturn stopped until both sides show "reconnecting" and then for 6 s more.
// The clock runs from coturn's start until both sides are connected and verified again, and the
// run counts how many kept the same peer connection (ICE restarts: lib/rtc/recovery.ts) rather than
// a new one (a new handshake). `load` spinning processes keep the CPUs busy meanwhile, as on a busy
// CI runner.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { callSetup, type CallSetup } from "./call-setup";
import { allowNamedFunctions, launchChromium, verifiedConsult } from "./lib/browser";
import { burnCpus } from "./lib/cpu-burn";
import { recordPeerConnections } from "../e2e/support/webrtc";
import { startServer } from "./lib/server";
import { summarize, type Summary } from "./lib/stats";

export type RelayResult = {
  setup: CallSetup;
  recovery: Summary;
  detect: Summary;
  drops: number;
  /** drops after which both sides still had the same peer connection (and stayed verified) */
  dropsKept: number;
  /** relay down for blipMs, then back → both sides connected again */
  blip: Summary;
  blips: number;
  blipMs: number;
  /** blips after which both sides still had the same peer connection */
  blipsKept: number;
  /** spinning processes during the drops and blips */
  load: number;
};

const DOWN_MS = 6_000;

function coturn(dir: string, cmd: "start" | "stop", port: number): string {
  return execFileSync("bash", ["scripts/turn.sh", cmd, dir, ...(cmd === "start" ? [String(port)] : [])], { encoding: "utf8" });
}

async function waitState(page: Page, id: string, state: string, timeout = 30_000): Promise<void> {
  await page.locator(`[data-testid="${id}"][data-state="${state}"]`).first().waitFor({ timeout });
}

export async function relayBench(opts: { calls: number; drops: number; blips: number; blipMs: number; load: number }): Promise<RelayResult> {
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
    const blip: number[] = [];
    let blipsKept = 0;
    let dropsKept = 0;
    const { browser } = await launchChromium();
    const burn = opts.load > 0 ? burnCpus(opts.load) : undefined;
    try {
      const contexts = await Promise.all([0, 1].map(() => browser.newContext({ baseURL: server.baseURL, permissions: ["camera", "microphone"] })));
      for (const c of contexts) {
        await allowNamedFunctions(c);
        await recordPeerConnections(c);
      }
      const [doctor, patient] = (await Promise.all(contexts.map((c) => c.newPage()))) as [Page, Page];
      await verifiedConsult(doctor, patient, "Relay Bench Patient");
      const peers = () => Promise.all([doctor, patient].map((p) => p.evaluate(() => window.__testPeerConnections?.length ?? 0)));
      /** coturn away while `away` runs; how long from its start to both sides connected and verified, and whether the connection was kept */
      const outage = async (label: string, away: () => Promise<void>): Promise<{ ms: number; kept: boolean }> => {
        const before = await peers();
        coturn(dir, "stop", port);
        try {
          await away();
        } finally {
          coturn(dir, "start", port);
        }
        const back = Date.now();
        await Promise.all([doctor, patient].map((p) => waitState(p, "connection-state", "connected")));
        await Promise.all([doctor, patient].map((p) => waitState(p, "e2ee-status", "verified")));
        const ms = Date.now() - back;
        const after = await peers();
        const kept = after.every((n, side) => n === before[side]);
        if (!kept) console.log(`… ${label}: a new peer connection (${before.join(",")} → ${after.join(",")}), so a new handshake`);
        await doctor.waitForTimeout(1_000);
        return { ms, kept };
      };
      for (let i = 0; i < opts.blips; i++) {
        const r = await outage(`relay blip ${i + 1}`, () => doctor.waitForTimeout(opts.blipMs));
        blip.push(r.ms);
        if (r.kept) blipsKept++;
      }
      for (let i = 0; i < opts.drops; i++) {
        const r = await outage(`relay drop ${i + 1}`, async () => {
          const stopped = Date.now();
          await Promise.all([doctor, patient].map((p) => waitState(p, "connection-state", "reconnecting")));
          detect.push(Date.now() - stopped);
          await doctor.waitForTimeout(DOWN_MS);
        });
        recovery.push(r.ms);
        if (r.kept) dropsKept++;
      }
    } finally {
      burn?.stop();
      await browser.close();
    }
    return { setup, recovery: summarize(recovery), detect: summarize(detect), drops: opts.drops, dropsKept, blip: summarize(blip), blips: opts.blips, blipMs: opts.blipMs, blipsKept, load: opts.load };
  } finally {
    await server.stop();
    try {
      coturn(dir, "stop", port);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
