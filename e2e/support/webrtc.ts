// WebRTC evidence for end-to-end tests. The test (not the app) wraps RTCPeerConnection in each
// page before it loads, keeping every connection the page makes, so getStats() can be read from
// outside: frames decoded, DTLS state, SRTP cipher, certificate fingerprints.
import type { BrowserContext, Page } from "@playwright/test";

declare global {
  interface Window {
    __testPeerConnections?: RTCPeerConnection[];
  }
}

/** Call before the context opens the room. */
export async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const seen: RTCPeerConnection[] = [];
    window.__testPeerConnections = seen;
    class Recorded extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        seen.push(this);
      }
    }
    window.RTCPeerConnection = Recorded;
  });
}

export type CallEvidence = {
  connectionState: string;
  dtlsState: string | undefined;
  srtpCipher: string | undefined;
  videoFramesDecoded: number;
  audioPacketsReceived: number;
  /** the other side's certificate as this side's DTLS saw it, "SHA-256 AB:CD:…" */
  remoteCertificate: string | undefined;
  /** this side's own a=fingerprint lines from its local SDP, "SHA-256 AB:CD:…" */
  localSdpFingerprints: string[];
  selectedCandidateTypes: string[];
  /** the addresses of the selected candidate pair (local, remote) */
  selectedAddresses: string[];
};

/** Stats of the page's newest peer connection. */
export async function callEvidence(page: Page): Promise<CallEvidence> {
  return page.evaluate(async () => {
    const pcs = window.__testPeerConnections ?? [];
    const pc = pcs[pcs.length - 1];
    if (!pc) throw new Error("this page made no RTCPeerConnection");
    const stats = await pc.getStats();
    const all: Record<string, unknown>[] = [];
    stats.forEach((s: Record<string, unknown>) => all.push(s));
    const byId = new Map(all.map((s) => [s.id as string, s]));
    const transport = all.find((s) => s.type === "transport");
    const inboundVideo = all.find((s) => s.type === "inbound-rtp" && s.kind === "video");
    const inboundAudio = all.find((s) => s.type === "inbound-rtp" && s.kind === "audio");
    const cert = transport?.remoteCertificateId ? byId.get(transport.remoteCertificateId as string) : undefined;
    const pair = transport?.selectedCandidatePairId ? byId.get(transport.selectedCandidatePairId as string) : undefined;
    const candidateType = (id: unknown) => (typeof id === "string" ? (byId.get(id)?.candidateType as string | undefined) : undefined);
    const candidateAddress = (id: unknown) => (typeof id === "string" ? ((byId.get(id)?.address ?? byId.get(id)?.ip) as string | undefined) : undefined);
    const sdp = pc.localDescription?.sdp ?? "";
    return {
      connectionState: pc.connectionState,
      dtlsState: transport?.dtlsState as string | undefined,
      srtpCipher: transport?.srtpCipher as string | undefined,
      videoFramesDecoded: (inboundVideo?.framesDecoded as number | undefined) ?? 0,
      audioPacketsReceived: (inboundAudio?.packetsReceived as number | undefined) ?? 0,
      remoteCertificate: cert ? `${String(cert.fingerprintAlgorithm).toUpperCase()} ${String(cert.fingerprint).toUpperCase()}` : undefined,
      localSdpFingerprints: [...sdp.matchAll(/^a=fingerprint:(\S+) (\S+)/gm)].map((m) => `${(m[1] ?? "").toUpperCase()} ${(m[2] ?? "").toUpperCase()}`),
      selectedCandidateTypes: pair ? [candidateType(pair.localCandidateId), candidateType(pair.remoteCandidateId)].filter((t): t is string => !!t) : [],
      selectedAddresses: pair ? [candidateAddress(pair.localCandidateId), candidateAddress(pair.remoteCandidateId)].filter((t): t is string => !!t) : [],
    };
  });
}
