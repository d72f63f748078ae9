// ICE recovery after a drop (lib/rtc/recovery.ts): restarts on the same connection for as long as
// the network is away, and a new handshake only when ICE cannot connect with the network back.
// First the rules one by one, then both sides together over a model of the network: a relay that
// goes away and comes back, signals through the server, gathering and ICE checks, each as slow as
// a test says, on vitest's fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IceRecovery, RECOVERY_LIMITS, type RecoveryPort } from "@/lib/rtc/recovery";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder() {
  const calls: string[] = [];
  const port: RecoveryPort = {
    restartIce: (gen) => calls.push(`restart ${gen}`),
    askRestart: (gen) => calls.push(`ask ${gen}`),
    giveUp: () => calls.push("give up"),
  };
  return { calls, port };
}

/** Makes the initiator's current attempt ready: its candidate, the answer, the other side's candidate. */
function readyInitiator(r: IceRecovery): void {
  r.localCandidate();
  expect(r.answer(r.gen)).toBe(true);
  expect(r.remoteCandidate(r.gen)).toBe(true);
}

describe("the initiator", () => {
  it("restarts ICE at once when the call drops, and again while no restart gets a candidate, for as long as it takes", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    expect(r.dropped()).toBe(true);
    expect(calls).toEqual(["restart 1"]);
    vi.advanceTimersByTime(RECOVERY_LIMITS.firstWaitMs - 1);
    expect(calls).toEqual(["restart 1"]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(["restart 1", "restart 2"]);
    // The waits grow (2 s, 3 s, 4.5 s, …) up to 5 s; ten minutes of a network that stays away
    // cost a restart every 5 s, never a new handshake.
    vi.advanceTimersByTime(10 * 60_000);
    expect(calls).not.toContain("give up");
    const restarts = calls.length;
    vi.advanceTimersByTime(RECOVERY_LIMITS.maxWaitMs);
    expect(calls.length).toBe(restarts + 1);
  });

  it("gives ICE the whole budget from the moment the network is back, and gives up only after it", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    r.dropped();
    vi.advanceTimersByTime(30_000); // the relay is away for 30 s: restarts, no budget spent
    expect(r.budgetStartedAt).toBeUndefined();
    readyInitiator(r);
    const readyAt = Date.now();
    expect(r.budgetStartedAt).toBe(readyAt);
    vi.advanceTimersByTime(RECOVERY_LIMITS.budgetMs - 1);
    expect(calls).not.toContain("give up");
    vi.advanceTimersByTime(1);
    expect(calls.at(-1)).toBe("give up");
    // Given up once: nothing more from it.
    const n = calls.length;
    vi.advanceTimersByTime(60_000);
    r.iceFailed();
    expect(calls.length).toBe(n);
  });

  it("leaves a ready attempt alone while ICE checks, and is back without giving up", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    r.dropped();
    readyInitiator(r);
    vi.advanceTimersByTime(RECOVERY_LIMITS.budgetMs - 100);
    expect(calls).toEqual(["restart 1"]);
    r.back();
    expect(r.isDown).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(calls).toEqual(["restart 1"]);
  });

  it("restarts again at once when ICE fails in a ready attempt, within the same budget", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    r.dropped();
    readyInitiator(r);
    vi.advanceTimersByTime(4_000);
    r.iceFailed();
    expect(calls).toEqual(["restart 1", "restart 2"]);
    readyInitiator(r);
    vi.advanceTimersByTime(RECOVERY_LIMITS.budgetMs - 4_000);
    expect(calls.at(-1)).toBe("give up");
  });

  it("takes ICE failing before the attempt is ready as the old generation's end, not as news", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    r.dropped();
    r.localCandidate();
    r.iceFailed();
    expect(calls).toEqual(["restart 1"]);
  });

  it("counts ICE failing on a call that was up as a drop", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    expect(r.iceFailed()).toBe(true);
    expect(r.isDown).toBe(true);
    expect(calls).toEqual(["restart 1"]);
  });

  it("drops answers and candidates of a restart that a newer one replaced", () => {
    const { port } = recorder();
    const r = new IceRecovery("initiator", port);
    r.dropped();
    vi.advanceTimersByTime(RECOVERY_LIMITS.firstWaitMs); // restart 2
    expect(r.gen).toBe(2);
    expect(r.answer(1)).toBe(false);
    expect(r.remoteCandidate(1)).toBe(false);
    expect(r.answer(2)).toBe(true);
    expect(r.remoteCandidate(2)).toBe(true);
  });

  it("restarts when the other side asks, unless a newer restart than the one it saw is under way", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("initiator", port);
    expect(r.peerAsked(0)).toBe(true); // it noticed first: this side goes down and restarts
    expect(calls).toEqual(["restart 1"]);
    expect(r.peerAsked(0)).toBe(false); // it had not seen restart 1 yet
    expect(calls).toEqual(["restart 1"]);
    r.peerAsked(1); // restart 1 did not work for it
    expect(calls).toEqual(["restart 1", "restart 2"]);
  });
});

describe("the responder", () => {
  it("asks the initiator for a restart when its call drops, and again until an offer of a new generation comes", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("responder", port);
    r.dropped();
    expect(calls).toEqual(["ask 0"]);
    vi.advanceTimersByTime(RECOVERY_LIMITS.firstWaitMs);
    expect(calls).toEqual(["ask 0", "ask 0"]);
    expect(r.offer(1)).toBe(true);
    expect(r.offer(0)).toBe(false); // stale
    r.localCandidate();
    r.remoteCandidate(1);
    expect(r.budgetStartedAt).toBe(Date.now());
    // Its budget is a backstop for an initiator that is gone, longer than the initiator's.
    vi.advanceTimersByTime(RECOVERY_LIMITS.responderBudgetMs - 1);
    expect(calls).toEqual(["ask 0", "ask 0"]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(["ask 0", "ask 0", "give up"]);
  });

  it("waits for a restart the initiator began before this side noticed the drop", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("responder", port);
    expect(r.offer(1)).toBe(true); // the initiator noticed first
    r.dropped();
    expect(calls).toEqual([]);
    r.localCandidate();
    r.remoteCandidate(1);
    r.back();
    vi.advanceTimersByTime(60_000);
    expect(calls).toEqual([]);
  });

  it("asks again when the restart it is on worked once but the call dropped again", () => {
    const { calls, port } = recorder();
    const r = new IceRecovery("responder", port);
    r.offer(1);
    r.localCandidate();
    r.remoteCandidate(1);
    r.back();
    r.dropped();
    expect(calls).toEqual(["ask 1"]);
  });
});

/**
 * Both sides over a model of the network. Every step takes as long as `speed` says: signals
 * through the server, gathering a candidate (which needs the relay), and ICE checks on a ready
 * pair of attempts (which need the relay, and `relays`: a relay that allocates but does not relay
 * lets attempts get ready and never connect).
 */
function twoSides(speed: { signalMs: number; gatherMs: number; checkMs: number }) {
  const net = { relayUp: true, relays: true, mediaFlows: true };
  const log: string[] = [];
  const backAt: Record<"initiator" | "responder", number | undefined> = { initiator: undefined, responder: undefined };
  const later = (ms: number, fn: () => void) => void setTimeout(fn, ms);
  const gather = (side: IceRecovery, gen: number, then: () => void) =>
    later(speed.gatherMs, () => {
      if (net.relayUp && side.gen === gen) {
        side.localCandidate();
        then();
      }
    });
  /** how far each generation got: ICE connects once both sides have the other's candidate and the answer is in */
  const progress = new Map<number, { answered: boolean; initiatorHas: boolean; responderHas: boolean }>();
  const step = (gen: number, fact: "answered" | "initiatorHas" | "responderHas") => {
    const p = progress.get(gen) ?? { answered: false, initiatorHas: false, responderHas: false };
    p[fact] = true;
    progress.set(gen, p);
    if (p.answered && p.initiatorHas && p.responderHas) tryConnect(gen);
  };
  const tryConnect = (gen: number) =>
    later(speed.checkMs, () => {
      if (!net.relayUp || !net.relays || initiator.gen !== gen || responder.gen !== gen || !initiator.isDown) return;
      for (const [name, side] of [
        ["initiator", initiator],
        ["responder", responder],
      ] as const) {
        if (side.isDown) backAt[name] = Date.now();
        side.back();
      }
      net.mediaFlows = true;
      log.push(`back on generation ${gen}`);
    });
  const initiator: IceRecovery = new IceRecovery("initiator", {
    restartIce: (gen) => {
      log.push(`restart ${gen}`);
      later(speed.signalMs, () => {
        if (!responder.offer(gen)) return;
        // The responder answers, then gathers and trickles its candidate.
        later(speed.signalMs, () => initiator.answer(gen) && step(gen, "answered"));
        gather(responder, gen, () => later(speed.signalMs, () => initiator.remoteCandidate(gen) && step(gen, "initiatorHas")));
      });
      gather(initiator, gen, () => later(speed.signalMs, () => responder.remoteCandidate(gen) && step(gen, "responderHas")));
    },
    askRestart: () => log.push("ask (initiator)?!"),
    giveUp: () => log.push("initiator gives up"),
  });
  const responder: IceRecovery = new IceRecovery("responder", {
    restartIce: () => log.push("restart (responder)?!"),
    askRestart: (gen) => {
      log.push(`ask ${gen}`);
      later(speed.signalMs, () => initiator.peerAsked(gen));
    },
    giveUp: () => log.push("responder gives up"),
  });
  return {
    net,
    log,
    backAt,
    /** the relay goes away; each side notices after `noticeMs` (the stall watch), unless media flows again by then */
    drop(noticeMs: { initiator: number; responder: number }) {
      net.relayUp = false;
      net.mediaFlows = false;
      later(noticeMs.initiator, () => net.mediaFlows || initiator.dropped());
      later(noticeMs.responder, () => net.mediaFlows || responder.dropped());
    },
  };
}

describe("both sides over a network that drops", () => {
  const notice = { initiator: 2_500, responder: 3_000 };

  it("a blip of a second and a half on a quick machine: the first restart brings the same connection back", () => {
    const sim = twoSides({ signalMs: 20, gatherMs: 10, checkMs: 50 });
    sim.drop(notice);
    vi.advanceTimersByTime(1_500);
    sim.net.relayUp = true;
    vi.advanceTimersByTime(60_000);
    expect(sim.log.filter((l) => l.includes("gives up") || l.includes("?!"))).toEqual([]);
    expect(sim.log).toEqual(["restart 1", "back on generation 1"]);
    // Noticed 2.5 s after the drop, back one restart (a round trip and the checks) later.
    // offer 20 ms, the responder's candidate 10 + 20 ms after it, the checks 50 ms.
    expect(sim.backAt.initiator).toBe(notice.initiator + 20 + 10 + 20 + 50);
  });

  it("on a machine where every step takes a second and more: still the same connection, never a new handshake", () => {
    const sim = twoSides({ signalMs: 1_200, gatherMs: 800, checkMs: 1_500 });
    sim.drop(notice);
    vi.advanceTimersByTime(1_500);
    sim.net.relayUp = true;
    vi.advanceTimersByTime(120_000);
    expect(sim.log.filter((l) => l.includes("gives up"))).toEqual([]);
    expect(sim.log.at(-1)).toMatch(/^back on generation \d+$/);
  });

  it("on a machine so slow that an attempt takes longer than any wait: an attempt that gets further is not cut short", () => {
    const sim = twoSides({ signalMs: 2_500, gatherMs: 2_500, checkMs: 2_000 });
    sim.drop(notice);
    vi.advanceTimersByTime(1_000);
    sim.net.relayUp = true;
    vi.advanceTimersByTime(120_000);
    expect(sim.log.filter((l) => l.includes("gives up"))).toEqual([]);
    expect(sim.log.at(-1)).toMatch(/^back on generation \d+$/);
  });

  it("a relay away for two minutes: restarts all along, none of the budget spent, back soon after it returns", () => {
    const sim = twoSides({ signalMs: 30, gatherMs: 20, checkMs: 100 });
    sim.drop(notice);
    vi.advanceTimersByTime(120_000);
    sim.net.relayUp = true;
    const returned = Date.now();
    vi.advanceTimersByTime(60_000);
    expect(sim.log.filter((l) => l.includes("gives up"))).toEqual([]);
    expect(sim.log.at(-1)).toMatch(/^back on generation \d+$/);
    // The next restart comes at most one wait (5 s) after the return.
    for (const side of ["initiator", "responder"] as const) expect(sim.backAt[side]! - returned).toBeLessThanOrEqual(RECOVERY_LIMITS.maxWaitMs + 500);
  });

  it("a relay that is back but does not relay: the initiator gives up the budget after the network came back, for a new handshake", () => {
    const sim = twoSides({ signalMs: 30, gatherMs: 20, checkMs: 100 });
    sim.drop(notice);
    vi.advanceTimersByTime(20_000);
    sim.net.relayUp = true;
    sim.net.relays = false;
    vi.advanceTimersByTime(RECOVERY_LIMITS.budgetMs - 1);
    expect(sim.log.filter((l) => l.includes("gives up"))).toEqual([]);
    vi.advanceTimersByTime(RECOVERY_LIMITS.maxWaitMs + 1_000);
    // (its new handshake would take the responder along; alone, the responder's backstop follows)
    expect(sim.log.filter((l) => l.includes("gives up"))).toEqual(["initiator gives up"]);
    vi.advanceTimersByTime(RECOVERY_LIMITS.responderBudgetMs);
    expect(sim.log.filter((l) => l.includes("gives up"))).toEqual(["initiator gives up", "responder gives up"]);
  });

  it("a drop only the responder notices: it asks, and the initiator restarts", () => {
    const sim = twoSides({ signalMs: 30, gatherMs: 20, checkMs: 100 });
    sim.drop({ initiator: 60_000, responder: 2_500 });
    vi.advanceTimersByTime(2_000);
    sim.net.relayUp = true;
    vi.advanceTimersByTime(10_000);
    expect(sim.log.slice(0, 2)).toEqual(["ask 0", "restart 1"]);
    expect(sim.log).toContain("back on generation 1");
  });
});
