// What simple-peer does not do for ICE recovery, done on its RTCPeerConnection: an ICE restart
// (simple-peer has no API for it), and keeping the connection when ICE fails on a call that was up
// (simple-peer destroys itself on ICE "failed", yet restartIce() revives a failed transport, and
// the DTLS session, the one the people verified, lives on).
import type SimplePeer from "simple-peer";

/** The simple-peer internals used here (its types do not show them). */
type PeerInternals = {
  _pc?: RTCPeerConnection;
  destroyed: boolean;
  negotiate(): void;
  emit(event: string, ...args: unknown[]): boolean;
  _onIceStateChange(): void;
  _onConnectionStateChange(): void;
};

const internals = (peer: SimplePeer.Instance) => peer as unknown as PeerInternals;

/** simple-peer's RTCPeerConnection. */
export function connectionOf(peer: SimplePeer.Instance | undefined): RTCPeerConnection | undefined {
  return peer ? internals(peer)._pc : undefined;
}

/**
 * While `keep()` says so, ICE "failed" (and the connection state "failed" that follows it) is
 * reported as an `iceStateChange` but no longer destroys the peer: recovery decides.
 */
export function keepThroughIceFailure(peer: SimplePeer.Instance, keep: () => boolean): void {
  const p = internals(peer);
  const onIce = p._onIceStateChange.bind(p);
  const onConnection = p._onConnectionStateChange.bind(p);
  p._onIceStateChange = () => {
    const pc = p._pc;
    if (pc?.iceConnectionState === "failed" && keep()) {
      if (!p.destroyed) p.emit("iceStateChange", pc.iceConnectionState, pc.iceGatheringState);
      return;
    }
    onIce();
  };
  p._onConnectionStateChange = () => {
    if (p._pc?.connectionState === "failed" && keep()) return;
    onConnection();
  };
}

/** New ICE servers for the connection's next gathering (renewed TURN credentials); the certificate stays. */
export function setIceServers(pc: RTCPeerConnection, iceServers: RTCIceServer[]): void {
  if (pc.signalingState !== "closed") pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
}

/**
 * Restarts ICE on the initiator's peer: new ICE credentials, fresh gathering (new TURN
 * allocations, with the ICE servers given, whose credentials may have been renewed), and a new
 * offer through simple-peer's signal event. An offer still waiting for its answer (lost, or
 * answered too late) is rolled back first, so the new one is never queued behind it.
 */
export async function restartIce(peer: SimplePeer.Instance, iceServers: RTCIceServer[], stillWanted: () => boolean): Promise<void> {
  const pc = connectionOf(peer);
  if (!pc || pc.signalingState === "closed" || internals(peer).destroyed) return;
  setIceServers(pc, iceServers);
  if (pc.signalingState === "have-local-offer") {
    // Settles simple-peer too: it sees the state go back to stable and stops waiting for an answer.
    await pc.setLocalDescription({ type: "rollback" }).catch(() => undefined);
    if (!stillWanted() || (pc.signalingState as RTCSignalingState) !== "stable") return;
  }
  pc.restartIce();
  internals(peer).negotiate();
}
