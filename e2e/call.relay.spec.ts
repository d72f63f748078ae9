// Calls behind a firewall that only lets a TURN relay through (the "relay" server: every call
// relayed by the test coturn, scripts/turn.sh): both sides' selected candidate pair is a relay
// pair and media flows; credentials the relay refuses give a clear message, not a spinner; and
// when the relay goes away mid-call and comes back, the call comes back by itself on the same peer
// connection by ICE restart, still verified, however long the relay was away; only when ICE cannot
// connect with the relay back does a new handshake take over, and verified is earned again.
import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { CONNECT_TIMEOUT_MS } from "../lib/rtc/call";
import { RECOVERY_LIMITS } from "../lib/rtc/recovery";
import { admitPatient, expectConnected } from "./flows/consult";
import { verifyCall } from "./flows/files";
import { TestDb } from "./support/db";
import { callEvidence, recordPeerConnections } from "./support/webrtc";

const turnDir = process.env.TEST_TURN_DIR ?? "";
const turnPort = process.env.TEST_TURN_PORT ?? "";
const turn = (cmd: "start" | "stop", mode?: "deny-peers") =>
  execFileSync("bash", ["scripts/turn.sh", cmd, turnDir, ...(cmd === "start" ? [turnPort, ...(mode ? [mode] : [])] : [])], { stdio: "pipe" });

let db: TestDb;
test.beforeAll(async () => {
  db = await TestDb.connect();
});
test.afterAll(async () => {
  await db?.close();
});

const frames = async (page: Page) => (await callEvidence(page)).videoFramesDecoded;

/** Every value `connection-state` and `e2ee-status` take on the page from now on. */
async function recordStates(page: Page): Promise<() => Promise<{ connection: string[]; e2ee: string[] }>> {
  await page.evaluate(() => {
    const w = window as unknown as { __states?: { connection: string[]; e2ee: string[] } };
    const seen = { connection: [] as string[], e2ee: [] as string[] };
    w.__states = seen;
    const note = () => {
      for (const [id, list] of [
        ["connection-state", seen.connection],
        ["e2ee-status", seen.e2ee],
      ] as const) {
        const v = document.querySelector(`[data-testid="${id}"]`)?.getAttribute("data-state") ?? "(none)";
        if (list.at(-1) !== v) list.push(v);
      }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
  });
  return () => page.evaluate(() => (window as unknown as { __states: { connection: string[]; e2ee: string[] } }).__states);
}

test("relay only: both sides talk through the TURN relay, and media flows", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Remy Relay");
  const call = await admitPatient(browser, baseURL, "Rolf Relay", {
    doctor,
    prepare: recordPeerConnections,
    // The waiting room's connection check finds the relay before the call.
    beforeAdmit: (patient) => expect(patient.getByTestId("connection-check")).toHaveAttribute("data-state", "ok"),
  });
  try {
    await expectConnected(call.doctor);
    await expectConnected(call.patient);
    for (const page of [call.doctor, call.patient]) {
      const e = await callEvidence(page);
      const [local, remote] = e.selectedCandidateTypes;
      expect(local, "this side's candidate in the selected pair").toBe("relay");
      // The other side's is its relay address too: "relay" once signaled, "prflx" when its first
      // connectivity check arrived before the signal did (RFC 8445 §7.3.1.3); either way an address
      // on the same TURN server as ours.
      expect(["relay", "prflx"], "the other side's candidate in the selected pair").toContain(remote);
      expect(e.selectedAddresses[1], "the other side's address is on the relay").toBe(e.selectedAddresses[0]);
      await expect.poll(() => frames(page)).toBeGreaterThan(10);
    }
    // The doctor sees that the call is relayed.
    await expect(call.doctor.getByTestId("connection-quality")).toHaveAttribute("data-route", "relay");
  } finally {
    await call.close();
  }
});

test("credentials the relay refuses: a clear message within the connect timeout, not a spinner", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Wanda Wrong");
  const call = await admitPatient(browser, baseURL, "Walt Wrongkey", {
    doctor,
    // The patient's browser gets a credential the relay does not accept (a wrong TURN_SECRET).
    beforeAdmit: async (patient) => {
      await patient.route("**/ice-servers", async (route) => {
        const res = await route.fetch();
        const body = (await res.json()) as { iceServers: { credential?: string }[] };
        for (const s of body.iceServers) if (s.credential) s.credential = "bm90LXRoZS1yaWdodC1rZXk=";
        await route.fulfill({ response: res, json: body });
      });
      // The waiting room's connection check already says so, before the call.
      await patient.reload();
      await expect(patient.getByTestId("connection-check")).toHaveAttribute("data-state", "blocked");
      await expect(patient.getByTestId("connection-check")).toContainText("refused");
    },
  });
  try {
    const state = call.patient.getByTestId("connection-state");
    await expect(state).toHaveAttribute("data-state", "failed", { timeout: CONNECT_TIMEOUT_MS });
    await expect(state).toContainText("relay server (TURN) refused");
    await expect(call.patient.getByTestId("retry-call")).toBeVisible();
  } finally {
    await call.close();
  }
});

const peerCount = (page: Page) => page.evaluate(() => window.__testPeerConnections?.length ?? 0);

/**
 * Stops the relay until both sides show reconnecting (each notices from the media that stopped,
 * lib/rtc/stall.ts, or from ICE), keeps it away `awayMs` more, and starts it again (`mode`
 * "deny-peers": back, but relaying to nobody). Returns when it is back.
 */
async function relayAway(pages: Page[], states: (() => Promise<{ connection: string[]; e2ee: string[] }>)[], awayMs: number, mode?: "deny-peers"): Promise<number> {
  turn("stop");
  const stopped = Date.now();
  try {
    const bothReconnecting = async () => (await Promise.all(states.map((get) => get()))).every((s) => s.connection.includes("reconnecting"));
    await expect.poll(bothReconnecting, { timeout: 10_000, message: "both sides notice the drop" }).toBe(true);
    console.log(`[relay] both sides showed reconnecting ${Date.now() - stopped} ms after the relay stopped`);
    await expect(pages[1]!.getByTestId("call-reconnecting")).toBeVisible();
    if (awayMs > 0) await pages[0]!.waitForTimeout(awayMs);
  } finally {
    turn("start", mode);
  }
  return Date.now();
}

/** Media flows again on both sides, through the relay. */
async function expectMediaThroughRelay(pages: Page[]): Promise<void> {
  for (const page of pages) {
    const f = await frames(page);
    await expect.poll(() => frames(page)).toBeGreaterThan(f + 10);
    expect((await callEvidence(page)).selectedCandidateTypes).toEqual(["relay", "relay"]);
  }
}

for (const [name, awayMs] of [
  ["a short drop of the relay (until both sides notice)", 0],
  // Longer than the whole recovery budget: the budget runs from when the network is back, so
  // the restarts made while the relay is away spend none of it.
  ["a long drop of the relay (15 s more)", 15_000],
] as const) {
  test(`${name}: ICE restart brings the same connection back, still verified`, async ({ browser, baseURL }) => {
    test.setTimeout(90_000);
    const doctor = await db.createStaff("doctor", "Dr. Bria Blip");
    const call = await admitPatient(browser, baseURL, "Bert Blip", { doctor, prepare: recordPeerConnections });
    try {
      await verifyCall(call);
      const pages = [call.doctor, call.patient];
      const before = await Promise.all(pages.map(peerCount));
      const states = await Promise.all(pages.map(recordStates));
      const back = await relayAway(pages, states, awayMs);
      for (const page of pages) await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "connected", { timeout: 30_000 });
      const recovered = Date.now() - back;
      test.info().annotations.push({ type: "recovery", description: `connected again ${recovered} ms after the relay came back` });
      console.log(`[relay] connected again ${recovered} ms after the relay came back (away ${awayMs} ms after both noticed)`);
      await expectMediaThroughRelay(pages);
      // The same peer connection (and DTLS session) throughout: no new handshake was needed, so
      // verified never went away.
      expect(await Promise.all(pages.map(peerCount))).toEqual(before);
      for (const get of states) {
        const s = await get();
        expect(s.connection).toContain("reconnecting");
        expect(s.e2ee, `e2ee-status went ${s.e2ee.join(" → ")}`).toEqual(["verified"]);
      }
    } finally {
      await call.close();
    }
  });
}

test("the relay comes back but relays nothing: ICE really fails, a new handshake takes over, verified again", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const doctor = await db.createStaff("doctor", "Dr. Dora Drop");
  const call = await admitPatient(browser, baseURL, "Dirk Drop", { doctor, prepare: recordPeerConnections });
  try {
    await verifyCall(call);
    const pages = [call.doctor, call.patient];
    const before = await Promise.all(pages.map(peerCount));
    const states = await Promise.all(pages.map(recordStates));
    // Back at once, granting allocations: both sides' restarts get candidates (the network is
    // back), ICE checks fail, and once the budget is spent both sides start over.
    const denying = await relayAway(pages, states, 0, "deny-peers");
    try {
      // (handshaking lasts only until the new hellos are verified, so it is read from the record)
      const bothStartedOver = async () => (await Promise.all(states.map((get) => get()))).every((s) => s.e2ee.includes("handshaking"));
      await expect.poll(bothStartedOver, { timeout: RECOVERY_LIMITS.budgetMs + RECOVERY_LIMITS.maxWaitMs + 10_000, intervals: [100] }).toBe(true);
      const gaveUp = Date.now() - denying;
      console.log(`[relay] a new handshake began ${gaveUp} ms after the relay came back relaying nothing`);
      expect(gaveUp, "not before the budget was spent").toBeGreaterThanOrEqual(RECOVERY_LIMITS.budgetMs);
    } finally {
      turn("stop");
      turn("start");
    }
    const back = Date.now();
    for (const page of pages) await expect(page.getByTestId("connection-state")).toHaveAttribute("data-state", "connected", { timeout: 45_000 });
    for (const page of pages) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
    console.log(`[relay] connected and verified again ${Date.now() - back} ms after the relay relayed again`);
    await expectMediaThroughRelay(pages);
    // A new peer connection on both sides, and verified earned again (a new session and DTLS
    // check; the pair was confirmed before, so no new comparison), not carried over.
    const after = await Promise.all(pages.map(peerCount));
    after.forEach((n, side) => expect(n).toBeGreaterThan(before[side]!));
    for (const get of states) {
      const s = await get();
      expect(s.e2ee.slice(1), `e2ee-status went ${s.e2ee.join(" → ")}`).toContain("handshaking");
      expect(s.e2ee.at(-1)).toBe("verified");
    }
  } finally {
    await call.close();
  }
});
