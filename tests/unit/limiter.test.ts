// lib/server/auth/limiter.ts: 10 failed sign-ins per email in 15 minutes, then refused until the window passes.
import { randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { signInLimiter } from "@/lib/server/auth/limiter";

const MIN = 60_000;
const T0 = 1_800_000_000_000;
const key = () => `${randomUUID()}@parley.test`;

function failTimes(k: string, n: number, at: (i: number) => number) {
  for (let i = 0; i < n; i++) signInLimiter.fail(k, at(i));
}

describe("signInLimiter", () => {
  it("allows a fresh key", () => {
    expect(signInLimiter.allow(key(), T0)).toBe(true);
  });

  it("allows 9 failures, refuses after the 10th", () => {
    const k = key();
    failTimes(k, 9, (i) => T0 + i * 1000);
    expect(signInLimiter.allow(k, T0 + 10_000)).toBe(true);
    signInLimiter.fail(k, T0 + 10_000);
    expect(signInLimiter.allow(k, T0 + 10_001)).toBe(false);
    expect(signInLimiter.allow(k, T0 + 14 * MIN)).toBe(false);
  });

  it("counts keys separately", () => {
    const a = key();
    const b = key();
    failTimes(a, 10, () => T0);
    expect(signInLimiter.allow(a, T0 + 1)).toBe(false);
    expect(signInLimiter.allow(b, T0 + 1)).toBe(true);
  });

  it("lets the window pass: a failure older than 15 minutes no longer counts", () => {
    const k = key();
    failTimes(k, 10, (i) => T0 + i * MIN); // minute 0..9
    expect(signInLimiter.allow(k, T0 + 9 * MIN + 1)).toBe(false);
    // At 15 min exactly the first failure (minute 0) has left the window: 9 remain.
    expect(signInLimiter.allow(k, T0 + 15 * MIN)).toBe(true);
    expect(signInLimiter.allow(k, T0 + 25 * MIN)).toBe(true);
  });

  it("is sliding, not fixed: a failure at minute 14 still counts at minute 20", () => {
    const k = key();
    failTimes(k, 9, () => T0);
    signInLimiter.fail(k, T0 + 14 * MIN);
    expect(signInLimiter.allow(k, T0 + 14 * MIN + 1)).toBe(false);
    expect(signInLimiter.allow(k, T0 + 20 * MIN)).toBe(true); // the 9 at minute 0 are gone
    failTimes(k, 8, () => T0 + 20 * MIN);
    expect(signInLimiter.allow(k, T0 + 20 * MIN)).toBe(true); // 1 + 8 = 9
    signInLimiter.fail(k, T0 + 20 * MIN);
    expect(signInLimiter.allow(k, T0 + 20 * MIN)).toBe(false);
  });

  it("reset clears a key (a successful sign-in)", () => {
    const k = key();
    failTimes(k, 10, () => T0);
    expect(signInLimiter.allow(k, T0)).toBe(false);
    signInLimiter.reset(k);
    expect(signInLimiter.allow(k, T0)).toBe(true);
  });

  it("is one instance per process (survives module reloads through globalThis)", async () => {
    const again = await import("@/lib/server/auth/limiter");
    expect(again.signInLimiter).toBe(signInLimiter);
    expect((globalThis as { __parleySignInLimiter?: unknown }).__parleySignInLimiter).toBe(signInLimiter);
  });
});
