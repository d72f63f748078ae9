// Connection quality from getStats() samples (lib/rtc/quality.ts): the selected pair's RTT and
// route, loss and bitrate between two samples, and the level the room shows.
import { describe, expect, it } from "vitest";
import { qualityOf, sampleOf, type StatsSample } from "@/lib/rtc/quality";

const report = (o: { rtt?: number; local?: string; remote?: string; received: number; lost: number; bytesIn: number; bytesOut: number }) => [
  { id: "T1", type: "transport", selectedCandidatePairId: "CP1" },
  { id: "CP1", type: "candidate-pair", localCandidateId: "L1", remoteCandidateId: "R1", currentRoundTripTime: o.rtt, nominated: true, state: "succeeded" },
  { id: "CP2", type: "candidate-pair", localCandidateId: "L2", remoteCandidateId: "R1", currentRoundTripTime: 9, nominated: false, state: "failed" },
  { id: "L1", type: "local-candidate", candidateType: o.local ?? "host" },
  { id: "L2", type: "local-candidate", candidateType: "srflx" },
  { id: "R1", type: "remote-candidate", candidateType: o.remote ?? "host" },
  { id: "IA", type: "inbound-rtp", kind: "audio", packetsReceived: o.received / 2, packetsLost: o.lost / 2, bytesReceived: o.bytesIn / 4 },
  { id: "IV", type: "inbound-rtp", kind: "video", packetsReceived: o.received / 2, packetsLost: o.lost / 2, bytesReceived: (3 * o.bytesIn) / 4 },
  { id: "OV", type: "outbound-rtp", kind: "video", bytesSent: o.bytesOut },
];

describe("connection quality", () => {
  it("reads the selected pair (not another one), its route, and sums the media streams", () => {
    const s = sampleOf(report({ rtt: 0.042, local: "relay", remote: "host", received: 1000, lost: 10, bytesIn: 4000, bytesOut: 8000 }), 1_000);
    expect(s).toEqual<StatsSample>({ at: 1_000, rttMs: 42, localType: "relay", remoteType: "host", packetsReceived: 1000, packetsLost: 10, bytesReceived: 4000, bytesSent: 8000 });
  });

  it("a direct call with little loss is good, with rates between the samples", () => {
    const a = sampleOf(report({ rtt: 0.03, received: 1000, lost: 0, bytesIn: 0, bytesOut: 0 }), 0);
    const b = sampleOf(report({ rtt: 0.03, received: 2000, lost: 10, bytesIn: 250_000, bytesOut: 125_000 }), 2_000);
    expect(qualityOf(a, b)).toEqual({ level: "good", rttMs: 30, route: "direct", candidates: "host/host", lossPct: 1, inKbps: 1000, outKbps: 500 });
  });

  it("fair and poor by RTT and loss, poor when media stops arriving, relay shown as such", () => {
    const base = { received: 1000, lost: 0, bytesIn: 0, bytesOut: 0 };
    const at = (o: Partial<typeof base> & { rtt?: number; local?: string }, t: number) => sampleOf(report({ ...base, ...o }), t);
    expect(qualityOf(at({}, 0), at({ rtt: 0.4, received: 2000 }, 1000)).level).toBe("fair");
    expect(qualityOf(at({}, 0), at({ rtt: 0.9, received: 2000 }, 1000)).level).toBe("poor");
    expect(qualityOf(at({}, 0), at({ rtt: 0.05, received: 1950, lost: 50 }, 1000))).toMatchObject({ level: "fair", lossPct: 5 });
    expect(qualityOf(at({}, 0), at({ rtt: 0.05, received: 1900, lost: 100 }, 1000))).toMatchObject({ level: "poor", lossPct: 10 });
    expect(qualityOf(at({}, 0), at({ rtt: 0.05 }, 1000)).level).toBe("poor"); // no packet in a second
    expect(qualityOf(undefined, at({ rtt: 0.05, local: "relay" }, 0))).toMatchObject({ level: "good", route: "relay", candidates: "relay/host" });
  });
});
