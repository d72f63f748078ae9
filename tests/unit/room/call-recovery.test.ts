// A call that was up and lost its path (lib/rtc/peer-link.ts, recovery.ts, redial.ts): ICE
// restarts on the same connection keep the verification; only when ICE cannot come back, or the
// channel is gone, a new handshake starts, and then verification is earned again. Hang-up ends
// it on both sides for good.
import { describe, expect, it } from "vitest";
import { RECOVERY_ATTEMPT_MS } from "@/lib/rtc/call";
import { RECOVERY_LIMITS } from "@/lib/rtc/recovery";
import { STALL_AFTER_MS } from "@/lib/rtc/stall";
import { Consult } from "./call-harness";

const sessions = (c: Consult, side: "doctor" | "patient") => [...new Set(c.log.ofType("commit", side).map((m) => m.sid))];
const offerGens = (c: Consult) => c.log.ofType("rtc", "doctor").flatMap((m) => (m.data.type === "offer" ? [m.gen ?? 0] : []));

function expectBoth(c: Consult, state: string): void {
  expect(c.doctor.snap.state, "doctor").toBe(state);
  expect(c.patient.snap.state, "patient").toBe(state);
}

/** A verified call; what a recovery must not change. */
async function verifiedCall() {
  const c = await Consult.create();
  await c.connect();
  await c.confirmBoth();
  return { c, code: c.doctor.e2ee.code, signals: { commits: c.log.ofType("commit").length, keys: c.log.ofType("key").length }, peers: c.net.peers.length };
}

describe("ICE restarts on the same connection", () => {
  it("ICE disconnected: both say reconnecting, the doctor restarts ICE (an offer of generation 1); ICE back: connected, still verified, no new handshake", async () => {
    const { c, code, signals, peers } = await verifiedCall();
    const pair = c.net.pair();
    c.net.iceWorks = false; // the restart's checks do not pass yet
    pair.drop();
    await c.settle();
    expectBoth(c, "reconnecting");
    expect(offerGens(c)).toEqual([0, 1]);
    expect(pair.initiator._pc.iceRestarts).toBe(1);
    // Both sides asked for fresh ICE servers (TURN credentials) for the restart, kept the certificate.
    for (const p of pair.sides) expect(p._pc.reconfigured.map((cfg) => cfg.certificates?.length)).toEqual([1]);
    expect(c.log.ofType("ice-restart", "patient").map((m) => m.gen)).toEqual([0]); // the patient asked for one too
    expect(pair.responder.received.filter((s) => s.type === "offer")).toHaveLength(2);
    pair.restore();
    await c.settle();
    expectBoth(c, "connected");
    for (const p of [c.doctor, c.patient]) expect(p.e2ee, p.side).toMatchObject({ status: "verified", code, dtlsChecked: true });
    expect(c.log.ofType("commit")).toHaveLength(signals.commits);
    expect(c.log.ofType("key")).toHaveLength(signals.keys);
    expect(c.net.peers).toHaveLength(peers);
  });

  it("the restart itself brings it back (its answer and candidates, generation 1, over the log)", async () => {
    const { c, code, signals, peers } = await verifiedCall();
    const pair = c.net.pair();
    pair.drop();
    await c.settle();
    expect(c.doctor.snapshots.some((s) => s.state === "reconnecting")).toBe(true);
    expectBoth(c, "connected");
    expect(
      c.log
        .ofType("rtc", "patient")
        .filter((m) => m.gen === 1)
        .map((m) => m.data.type),
    ).toEqual(["answer", "candidate"]);
    expect(c.doctor.e2ee).toMatchObject({ status: "verified", code });
    expect(c.log.ofType("commit")).toHaveLength(signals.commits);
    expect(c.net.peers).toHaveLength(peers);
  });

  it("ICE failed on a call that was up: the connection is kept and restarted, not torn down", async () => {
    const { c, code, signals, peers } = await verifiedCall();
    const pair = c.net.pair();
    pair.fail();
    await c.settle();
    expect(pair.alive).toBe(true);
    expect(offerGens(c)).toEqual([0, 1]);
    expectBoth(c, "connected");
    expect(c.doctor.e2ee).toMatchObject({ status: "verified", code });
    expect(c.log.ofType("commit")).toHaveLength(signals.commits);
    expect(c.net.peers).toHaveLength(peers);
  });

  it("media that stops arriving is noticed before ICE says anything, and the call is back only when it flows again", async () => {
    const { c, code, signals } = await verifiedCall();
    const pair = c.net.pair();
    pair.stallMedia();
    await c.tick(STALL_AFTER_MS + 1_000);
    expectBoth(c, "reconnecting");
    expect(pair.initiator._pc.iceConnectionState).toBe("connected"); // ICE never noticed
    expect(offerGens(c)).toEqual([0, 1]);
    await c.tick(2_000); // the restart went through, yet no media: still reconnecting
    expectBoth(c, "reconnecting");
    pair.stallMedia(false);
    await c.tick(1_000);
    expectBoth(c, "connected");
    expect(c.doctor.e2ee).toMatchObject({ status: "verified", code });
    expect(c.log.ofType("commit")).toHaveLength(signals.commits);
  });
});

describe("a new handshake when the connection cannot come back", () => {
  it.each([false, true])("ICE cannot connect with the network back: after the budget a new session, and verification is earned again (verified before: %s)", async (verifiedBefore) => {
    const c = await Consult.create();
    await c.connect();
    if (verifiedBefore) await c.confirmBoth();
    const firstCode = c.doctor.e2ee.code;
    c.net.iceWorks = false;
    c.net.pair().drop();
    await c.tick(RECOVERY_LIMITS.budgetMs - 500);
    expect(sessions(c, "doctor")).toHaveLength(1); // restarts only, for the whole budget
    expectBoth(c, "reconnecting");
    const seen = c.doctor.snapshots.length;
    await c.tick(1_000);
    expect(sessions(c, "doctor")).toHaveLength(2);
    const [, newSid] = sessions(c, "doctor");
    c.net.heal();
    await c.settle();
    expectBoth(c, "connected");
    const code = c.doctor.e2ee.code;
    expect(c.patient.e2ee.code).toBe(code);
    expect(code).not.toBe(firstCode);
    // The old verification is not carried over: the new session started from nothing, and
    // "verified" came back (if at all) only for the new code, after the new DTLS check.
    const since = c.doctor.snapshots.slice(seen);
    const reset = since.findIndex((s) => s.e2ee.status === "handshaking" && !s.e2ee.dtlsChecked && s.e2ee.code === undefined && !s.e2ee.confirmedByPeer);
    expect(reset).toBeGreaterThanOrEqual(0);
    expect(
      since
        .slice(reset)
        .filter((s) => s.e2ee.status === "verified")
        .every((s) => s.e2ee.code === code && s.e2ee.dtlsChecked),
    ).toBe(true);
    if (verifiedBefore) {
      // A pair verified before: confirmed again on the people's behalf, in the new session.
      for (const p of [c.doctor, c.patient]) expect(p.e2ee.status, p.side).toBe("verified");
      expect(c.log.ofType("confirm", "patient").some((m) => m.to === newSid)).toBe(true);
    } else {
      for (const p of [c.doctor, c.patient]) expect(p.e2ee, p.side).toMatchObject({ status: "unverified", confirmedByMe: false });
      await c.confirmBoth();
      for (const p of [c.doctor, c.patient]) expect(p.e2ee.status, p.side).toBe("verified");
    }
    expect(c.log.ofType("key").at(-1)?.sid).toBe(newSid);
  });

  /** The call is up; then the patient's device goes quiet (`away`) and the channel closes without a goodbye. */
  async function lostWhile(away: (c: Consult) => void) {
    const c = await Consult.create();
    await c.connect();
    const firstCode = c.doctor.e2ee.code;
    const [firstSid] = sessions(c, "doctor");
    away(c);
    await c.settle();
    expect(c.doctor.snap.state).toBe("reconnecting");
    await c.tick(65_000, 250); // sessions start at 0, 10.5, 21.5, 33.5, 47.5 and 62.5 s
    const starts = c.log.ofType("commit", "doctor").filter((m) => m.sid !== firstSid && !m.reply);
    const gaps = starts.slice(1).map((m, i) => m.at - (starts[i]?.at ?? 0));
    expect(gaps).toEqual([500, 1_000, 2_000, 4_000, 5_000].map((backoff) => RECOVERY_ATTEMPT_MS + backoff));
    expect(c.doctor.snap.state).toBe("reconnecting");
    return { c, firstCode };
  }

  async function expectBackForGood(c: Consult, firstCode: string | undefined): Promise<void> {
    expectBoth(c, "connected");
    expect(c.patient.e2ee.code).toBe(c.doctor.e2ee.code);
    expect(c.doctor.e2ee.code).not.toBe(firstCode);
    const n = c.log.ofType("commit").length;
    await c.tick(60_000, 1_000);
    expect(c.log.ofType("commit")).toHaveLength(n); // back: no more sessions
  }

  it("the patient's page dies without a goodbye: the doctor starts new sessions with backoff until a page of the patient answers", async () => {
    const { c, firstCode } = await lostWhile((c) => c.patient.session.dispose());
    c.patient.join();
    await c.settle();
    await expectBackForGood(c, firstCode);
  });

  // Back online, the patient's page gets the doctor's held commits at once and restarts for each.
  // Found by this test: with both sides' new sessions seeded by the commit that prompted them, each
  // revealed to a session already being replaced and the two restarted for ever.
  it("the channel closes while the patient is offline: back online (the held signals at once), both connect", async () => {
    const { c, firstCode } = await lostWhile((c) => {
      c.log.offline("patient"); // its signals fail; the doctor's wait for it
      c.net.pair().closeChannel();
    });
    c.log.online("patient");
    await c.settle();
    await expectBackForGood(c, firstCode);
  });
});

describe("hang-up", () => {
  it.each(["doctor", "patient"] as const)("the %s hangs up: the other side ends with 'peer-left', and nobody redials", async (who) => {
    const c = await Consult.create();
    await c.connect();
    c[who].session.hangUp();
    await c.settle();
    expect(c[who].snap).toMatchObject({ state: "ended", problem: "hung-up" });
    expect(c[who].other.snap).toMatchObject({ state: "ended", problem: "peer-left" });
    const n = c.log.entries.length;
    await c.tick(60_000, 1_000);
    expect(c.log.entries).toHaveLength(n);
  });

  it("while the path is down, the bye on the log ends the call on the other side", async () => {
    const c = await Consult.create();
    await c.connect();
    c.net.iceWorks = false;
    c.net.pair().drop();
    await c.settle();
    c.patient.session.hangUp();
    await c.settle();
    expect(c.doctor.snap).toMatchObject({ state: "ended", problem: "peer-left" });
    await c.tick(RECOVERY_LIMITS.responderBudgetMs * 2, 1_000);
    expect(c.doctor.snap).toMatchObject({ state: "ended", problem: "peer-left" });
    expect(sessions(c, "doctor")).toHaveLength(1);
  });
});
