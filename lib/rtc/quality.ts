// Connection quality from two getStats() samples (pure): round-trip time, packet loss and bitrate
// of the media the other side sends us, and whether the call goes through a relay (TURN) or
// directly. The room shows a level to everyone and the details to the doctor.

export type Route = "direct" | "relay";
export type QualityLevel = "good" | "fair" | "poor";

export type Quality = {
  level: QualityLevel;
  /** current round-trip time of the selected candidate pair, ms */
  rttMs?: number;
  /** inbound packets lost since the previous sample, percent */
  lossPct?: number;
  /** inbound media bitrate since the previous sample, kbit/s */
  inKbps?: number;
  /** outbound media bitrate since the previous sample, kbit/s */
  outKbps?: number;
  route?: Route;
  /** the candidate types of the selected pair, e.g. "relay/host" (local/remote) */
  candidates?: string;
};

/** The few numbers a sample needs, taken from an RTCStatsReport. */
export type StatsSample = {
  at: number;
  rttMs?: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  bytesSent: number;
  localType?: string;
  remoteType?: string;
};

type Stat = Record<string, unknown> & { type: string; id: string };

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Reads a report (any iterable of stats, as RTCStatsReport.values() gives). */
export function sampleOf(stats: Iterable<Stat>, at: number): StatsSample {
  const byId = new Map<string, Stat>();
  const all: Stat[] = [];
  for (const s of stats) {
    byId.set(s.id, s);
    all.push(s);
  }
  const sample: StatsSample = { at, packetsReceived: 0, packetsLost: 0, bytesReceived: 0, bytesSent: 0 };
  let pair: Stat | undefined;
  for (const s of all) {
    if (s.type === "transport" && typeof s.selectedCandidatePairId === "string") pair = byId.get(s.selectedCandidatePairId);
  }
  pair ??= all.find((s) => s.type === "candidate-pair" && s.nominated === true && s.state === "succeeded");
  if (pair) {
    const rtt = num(pair.currentRoundTripTime);
    if (rtt !== undefined) sample.rttMs = rtt * 1000;
    const local = byId.get(String(pair.localCandidateId));
    const remote = byId.get(String(pair.remoteCandidateId));
    if (typeof local?.candidateType === "string") sample.localType = local.candidateType;
    if (typeof remote?.candidateType === "string") sample.remoteType = remote.candidateType;
  }
  for (const s of all) {
    if (s.type === "inbound-rtp") {
      sample.packetsReceived += num(s.packetsReceived) ?? 0;
      sample.packetsLost += Math.max(0, num(s.packetsLost) ?? 0);
      sample.bytesReceived += num(s.bytesReceived) ?? 0;
    } else if (s.type === "outbound-rtp") {
      sample.bytesSent += num(s.bytesSent) ?? 0;
    }
  }
  return sample;
}

/**
 * Good: RTT under 300 ms and loss under 2 %. Poor: RTT over 800 ms or loss over 8 %, or no media
 * arriving at all. Fair in between. (Rules of thumb for interactive video.)
 */
export function qualityOf(prev: StatsSample | undefined, cur: StatsSample): Quality {
  const q: Quality = { level: "good" };
  if (cur.rttMs !== undefined) q.rttMs = Math.round(cur.rttMs);
  if (cur.localType) {
    q.route = cur.localType === "relay" || cur.remoteType === "relay" ? "relay" : "direct";
    q.candidates = `${cur.localType}/${cur.remoteType ?? "?"}`;
  }
  let stalled = false;
  if (prev && cur.at > prev.at) {
    const seconds = (cur.at - prev.at) / 1000;
    const received = cur.packetsReceived - prev.packetsReceived;
    const lost = cur.packetsLost - prev.packetsLost;
    if (received + lost > 0) q.lossPct = Math.round((1000 * Math.max(0, lost)) / (received + lost)) / 10;
    q.inKbps = Math.max(0, Math.round(((cur.bytesReceived - prev.bytesReceived) * 8) / 1000 / seconds));
    q.outKbps = Math.max(0, Math.round(((cur.bytesSent - prev.bytesSent) * 8) / 1000 / seconds));
    stalled = received <= 0 && prev.packetsReceived > 0;
  }
  const rtt = q.rttMs ?? 0;
  const loss = q.lossPct ?? 0;
  if (stalled || rtt > 800 || loss > 8) q.level = "poor";
  else if (rtt > 300 || loss > 2) q.level = "fair";
  return q;
}

/** The quality of one connection from its successive getStats() samples. */
export class QualitySampler {
  private last: StatsSample | undefined;

  async sample(pc: RTCPeerConnection, at: number): Promise<Quality> {
    const report = await pc.getStats();
    const sample = sampleOf(report.values() as Iterable<Stat>, at);
    const prev = this.last;
    this.last = sample;
    return qualityOf(prev, sample);
  }
}
