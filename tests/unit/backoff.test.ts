// lib/server/auth/backoff.ts: free attempts, then a doubling wait up to a cap; a quiet day forgets.
import { describe, expect, it } from "vitest";

import { ACCOUNT_POLICY, addressKey, delayAfter, FORGET_AFTER_MS, nextFailures } from "@/lib/server/auth/backoff";

describe("sign-in backoff", () => {
  it("lets the free attempts through, then doubles the wait from one second up to the cap", () => {
    const waits = Array.from({ length: 20 }, (_, i) => delayAfter(i + 1, ACCOUNT_POLICY));
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(waits.slice(5, 10)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(Math.max(...waits)).toBe(15 * 60_000);
    expect(delayAfter(10_000, ACCOUNT_POLICY)).toBe(15 * 60_000); // no overflow, no lockout beyond the cap
  });

  it("counts on from the stored failures, and starts over after a quiet day", () => {
    const at = new Date("2026-12-06T10:00:00Z");
    expect(nextFailures(undefined, at)).toBe(1);
    expect(nextFailures({ failures: 7, lastFailureAt: new Date(at.getTime() - 60_000) }, at)).toBe(8);
    expect(nextFailures({ failures: 7, lastFailureAt: new Date(at.getTime() - FORGET_AFTER_MS - 1) }, at)).toBe(1);
  });

  it("keys IPv4 by address and IPv6 by its /64, however it is written", () => {
    expect(addressKey("203.0.113.9")).toBe("ip:203.0.113.9");
    expect(addressKey("2001:db8:0:1::5")).toBe("ip:2001:db8:0:1::/64");
    expect(addressKey("2001:0DB8:0000:0001:ffff::9")).toBe("ip:2001:db8:0:1::/64");
    expect(addressKey("2001:db8::1")).toBe("ip:2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("ip:0:0:0:0::/64");
  });
});
