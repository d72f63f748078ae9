// lib/client/idle-logoff.ts with a fake clock: reports are throttled, a call counts as activity,
// the warning and the end follow the deadline the server last confirmed.
import { describe, expect, it } from "vitest";

import { IdleWatcher, type IdleState } from "@/lib/client/idle-logoff";

function setup(opts: { idleMs?: number; live?: () => boolean; inCall?: () => boolean } = {}) {
  let t = 0;
  const pings: number[] = [];
  const states: IdleState[] = [];
  let ended = 0;
  let inCall = false;
  const w = new IdleWatcher({
    idleMs: opts.idleMs ?? 15 * 60_000,
    now: () => t,
    ping: () => {
      pings.push(t);
      return Promise.resolve(opts.live ? opts.live() : true);
    },
    callInProgress: () => inCall,
    onChange: (s) => states.push(s),
    onEnded: () => ended++,
  });
  const flush = () => new Promise<void>((r) => setTimeout(r, 0));
  return {
    w,
    pings,
    states,
    ended: () => ended,
    setCall: (v: boolean) => (inCall = v),
    /** moves the clock in one-second ticks, as the page's timer does */
    async advance(ms: number) {
      for (let i = 0; i < ms / 1000; i++) {
        t += 1000;
        w.tick();
        await flush();
      }
    },
    flush,
  };
}

describe("IdleWatcher", () => {
  it("reports the first interaction at once, later ones at most every 30 s", async () => {
    const s = setup();
    s.w.interaction(true);
    await s.flush();
    for (let i = 0; i < 40; i++) {
      s.w.interaction();
      await s.advance(1000);
    }
    expect(s.pings).toEqual([0, 30_000]);
  });

  it("warns a minute before the deadline, then ends the session", async () => {
    const s = setup({ idleMs: 5 * 60_000 });
    s.w.interaction(true);
    await s.flush();
    await s.advance(4 * 60_000 - 1000);
    expect(s.states.at(-1)?.phase ?? "active").toBe("active");
    await s.advance(1000);
    expect(s.states.at(-1)).toEqual({ phase: "warning", secondsLeft: 60 });
    await s.advance(60_000);
    expect(s.states.at(-1)).toEqual({ phase: "ended" });
    expect(s.ended()).toBe(1);
  });

  it("'Stay signed in' moves the deadline once the server confirms it", async () => {
    const s = setup({ idleMs: 5 * 60_000 });
    await s.advance(4 * 60_000 + 30_000);
    expect(s.states.at(-1)?.phase).toBe("warning");
    s.w.interaction(true);
    await s.flush();
    expect(s.states.at(-1)).toEqual({ phase: "active" });
    await s.advance(4 * 60_000);
    expect(s.ended()).toBe(0);
  });

  it("a call in progress keeps reporting, so it never goes idle", async () => {
    const s = setup({ idleMs: 60_000 });
    s.setCall(true);
    await s.advance(10 * 60_000);
    expect(s.ended()).toBe(0);
    expect(s.pings.length).toBeGreaterThan(30);
    s.setCall(false);
    await s.advance(61_000);
    expect(s.ended()).toBe(1);
  });

  it("ends at once when the server says the session is already over", async () => {
    const s = setup({ live: () => false });
    s.w.interaction(true);
    await s.flush();
    expect(s.ended()).toBe(1);
  });
});
