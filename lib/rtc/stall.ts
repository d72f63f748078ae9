// Noticing a dead media path before ICE does (pure). Chrome marks ICE "disconnected" only after
// its consent checks have gone unanswered for several seconds; until then the other person looks at a
// frozen frame. A call that sends media receives packets many times a second (even a muted
// microphone or a camera turned off keeps sending silence, black frames and RTCP), so bytes that
// stop arriving for STALL_AFTER_MS mean the path is gone: the room says "reconnecting…" and the
// initiator restarts ICE at once. Only used while the other side says it sends media; a side with
// neither camera nor microphone leaves it to ICE.

/** No bytes from the other side for this long, while it sends media: the connection has stalled. */
export const STALL_AFTER_MS = 2_500;
/** How often the call samples getStats() for it. */
export const STALL_POLL_MS = 500;

import type { Clock } from "@/lib/client/clock";

type Stat = Record<string, unknown> & { type: string };

/**
 * Bytes received on the connection so far: the transports' counters (media, data channel, ICE
 * checks), or the media streams' where a browser reports no transport.
 */
export function receivedBytes(stats: Iterable<Stat>): number {
  let transport: number | undefined;
  let media = 0;
  for (const s of stats) {
    const bytes = typeof s.bytesReceived === "number" && Number.isFinite(s.bytesReceived) ? s.bytesReceived : undefined;
    if (bytes === undefined) continue;
    if (s.type === "transport") transport = (transport ?? 0) + bytes;
    else if (s.type === "inbound-rtp") media += bytes;
  }
  return transport ?? media;
}

/**
 * Fed the received-bytes counter now and then; says whether it has not grown for STALL_AFTER_MS.
 * Samples taken far apart (a throttled background tab) with the counter moving in between are not
 * a stall.
 */
export class StallWatch {
  private last: { bytes: number; since: number } | undefined;

  constructor(private readonly afterMs = STALL_AFTER_MS) {}

  sample(bytes: number, at: number): boolean {
    if (!this.last || bytes > this.last.bytes) {
      this.last = { bytes, since: at };
      return false;
    }
    // A counter that went back (a transport replaced) is a new baseline, not bytes arriving.
    if (bytes < this.last.bytes) this.last = { bytes, since: this.last.since };
    return at - this.last.since >= this.afterMs;
  }

  /** Forget the counter (the other side stopped sending media, or a new connection). */
  reset(): void {
    this.last = undefined;
  }
}

/**
 * Samples the bytes arriving on `pc` every STALL_POLL_MS while `active()` (the other side sends
 * media), and tells `onSample` whether they stalled. Returns the function that stops it.
 */
export function pollStall(pc: RTCPeerConnection, clock: Clock, active: () => boolean, onSample: (stalled: boolean) => void): () => void {
  const watch = new StallWatch();
  const timer = clock.setInterval(() => {
    if (!active()) return watch.reset();
    void pc
      .getStats()
      .then((report) => onSample(watch.sample(receivedBytes(report.values() as Iterable<Stat>), clock.now())))
      .catch(() => undefined);
  }, STALL_POLL_MS);
  return () => clock.clearInterval(timer);
}
