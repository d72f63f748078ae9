// What simple-peer does not do for ICE recovery, done on its RTCPeerConnection: an ICE restart
// (simple-peer has no API for it), and keeping the connection when ICE fails on a call that was up
// (simple-peer destroys itself on ICE "failed", yet restartIce() revives a failed transport, and
// the DTLS session, the one the people verified, lives on); and what getStats() and ICE events
// tell about the certificate and a TURN server.
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

/**
 * A TURN server that refuses or does not answer shows up only as a missing candidate (simple-peer
 * reports nothing). For a relay-only connection: when gathering ends without a single local
 * candidate, `noRelay` says so at once (`refused`: the server turned the credentials down) rather
 * than the connect timeout later.
 */
export function watchRelay(pc: RTCPeerConnection, noRelay: (refused: boolean) => void): void {
  let refused = false;
  let gathered = 0;
  pc.addEventListener("icecandidateerror", (e: Event) => {
    const code = (e as RTCPeerConnectionIceErrorEvent).errorCode;
    if (code === 401 || code === 403 || code === 431) refused = true;
  });
  pc.addEventListener("icecandidate", (e: RTCPeerConnectionIceEvent) => {
    if (e.candidate?.candidate) gathered++;
  });
  pc.addEventListener("icegatheringstatechange", () => {
    if (pc.iceGatheringState === "complete" && gathered === 0) noRelay(refused);
  });
}

/** The SHA-256 fingerprint of the connection's remote DTLS certificate, where getStats() shows it. */
export async function remoteCertificateFingerprint(pc: RTCPeerConnection): Promise<string | undefined> {
  const stats = await pc.getStats();
  let remote: string | undefined;
  stats.forEach((s: { type: string; remoteCertificateId?: string }) => {
    if (s.type === "transport" && s.remoteCertificateId) {
      const cert = stats.get(s.remoteCertificateId) as { fingerprint?: string; fingerprintAlgorithm?: string } | undefined;
      if (cert?.fingerprintAlgorithm?.toLowerCase() === "sha-256") remote = cert.fingerprint;
    }
  });
  return remote;
}
