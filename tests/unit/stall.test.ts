// Noticing a dead media path from getStats() before ICE does (lib/rtc/stall.ts).
import { describe, expect, it } from "vitest";
import { receivedBytes, StallWatch, STALL_AFTER_MS } from "@/lib/rtc/stall";

describe("received bytes", () => {
  it("counts the transports (media, data channel and ICE checks), not the streams twice", () => {
    const report = [
      { type: "transport", bytesReceived: 10_000 },
      { type: "inbound-rtp", bytesReceived: 6_000 },
      { type: "inbound-rtp", bytesReceived: 3_000 },
      { type: "outbound-rtp", bytesSent: 99_999 },
      { type: "candidate-pair", bytesReceived: 10_000 },
    ];
    expect(receivedBytes(report)).toBe(10_000);
  });

  it("falls back to the inbound media streams without a transport report", () => {
    expect(receivedBytes([{ type: "inbound-rtp", bytesReceived: 6_000 }, { type: "inbound-rtp", bytesReceived: 3_000 }, { type: "transport" }])).toBe(9_000);
    expect(receivedBytes([])).toBe(0);
  });
});

describe("stall watch", () => {
  it("stalls only once the counter has stood still for the whole window", () => {
    const w = new StallWatch();
    expect(w.sample(100, 0)).toBe(false);
    expect(w.sample(100, STALL_AFTER_MS - 1)).toBe(false);
    expect(w.sample(100, STALL_AFTER_MS)).toBe(true);
    expect(w.sample(100, STALL_AFTER_MS + 500)).toBe(true);
  });

  it("bytes arriving again end the stall and restart the window", () => {
    const w = new StallWatch(1_000);
    w.sample(5, 0);
    expect(w.sample(5, 1_000)).toBe(true);
    expect(w.sample(6, 1_500)).toBe(false);
    expect(w.sample(6, 2_400)).toBe(false);
    expect(w.sample(6, 2_500)).toBe(true);
  });

  it("samples far apart with the counter moving in between (a throttled tab) are no stall", () => {
    const w = new StallWatch(1_000);
    w.sample(5, 0);
    expect(w.sample(900, 60_000)).toBe(false);
    expect(w.sample(1_800, 120_000)).toBe(false);
  });

  it("a counter that goes back (a replaced transport) is no sign of bytes arriving", () => {
    const w = new StallWatch(1_000);
    w.sample(500, 0);
    expect(w.sample(20, 600)).toBe(false);
    expect(w.sample(20, 1_000)).toBe(true);
    expect(w.sample(21, 1_100)).toBe(false);
  });

  it("after a reset the first sample starts a new window", () => {
    const w = new StallWatch(1_000);
    w.sample(5, 0);
    w.reset();
    expect(w.sample(5, 5_000)).toBe(false);
    expect(w.sample(5, 6_000)).toBe(true);
  });
});
