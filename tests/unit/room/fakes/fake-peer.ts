// A fake simple-peer (what lib/rtc/peer-link.ts and lib/rtc/peer-ice.ts use of it) on a fake
// network (./fake-network.ts). The initiator offers (its SDP names its certificate's fingerprint and, in an
// `a=x-fake-peer` line, itself); the instance that gets that offer answers with its own; once the
// initiator takes the answer the two are a FakePair: ICE connects, each side gets the other's
// stream and `connect`, and send() reaches the other side's `data`. The pair's controls drop,
// restore or fail the path, stall the media, or close the channel.
import type SimplePeer from "simple-peer";
import { fingerprintOf } from "./fake-certificate";
import type { FakeNetwork } from "./fake-network";
import { FakePeerConnection, type FakeStats } from "./fake-peer-connection";
import { fakeStream } from "./fake-media";
import { FakePair } from "./fake-pair";

type Listener = (...args: never[]) => void;
type Candidate = { candidate: string; sdpMid: string; sdpMLineIndex: number };
export type FakeSignal = { type: string; sdp?: string; candidate?: Candidate };

const line = (sdp: string, name: string) => new RegExp(`^a=${name}:(\\S+)`, "m").exec(sdp)?.[1];

export class FakePeer {
  readonly id = crypto.randomUUID();
  readonly initiator: boolean;
  readonly _pc: FakePeerConnection;
  readonly fingerprint: string;
  readonly localStream: MediaStream | undefined;
  /** what this peer emitted as `signal`, and what it was given */
  readonly emitted: FakeSignal[] = [];
  readonly received: FakeSignal[] = [];
  readonly sent: string[] = [];
  destroyed = false;
  destroying = false;
  channelOpen = false;
  pair: FakePair | undefined;
  /** the initiator whose offer this peer answered */
  offerer: FakePeer | undefined;
  /** bytes of media received so far (getStats' inbound-rtp) */
  bytes = 0;
  private ufrag: string | undefined;
  private remoteUfrag: string | undefined;
  private negotiating = false;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    readonly net: FakeNetwork,
    opts: SimplePeer.Options,
    /** the device whose call made it */
    readonly owner?: string,
  ) {
    net.peers.push(this);
    this.initiator = opts.initiator === true;
    this.localStream = opts.stream;
    const certificate = opts.config?.certificates?.[0];
    if (!certificate) throw new Error("the call must give its peer the session's certificate");
    this.fingerprint = fingerprintOf(certificate);
    this._pc = new FakePeerConnection(opts.config, {
      iceStateChanged: () => this._onIceStateChange(),
      connectionStateChanged: () => this._onConnectionStateChange(),
      stats: async () => {
        await net.statsGate(this);
        return this.report();
      },
    });
    if (this.initiator) this.negotiate();
  }

  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    const fns = this.listeners.get(event) ?? [];
    for (const fn of fns) (fn as (...a: unknown[]) => void)(...args);
    return fns.length > 0;
  }

  signal(data: FakeSignal): void {
    if (this.destroying) return;
    if (this.destroyed) throw new Error("cannot signal after peer is destroyed");
    this.received.push(data);
    if (data.type === "offer" && data.sdp !== undefined) this.takeOffer(data.sdp);
    else if (data.type === "answer" && data.sdp !== undefined) this.takeAnswer(data.sdp);
  }

  send(data: string): void {
    const pair = this.pair;
    if (!pair || !this.channelOpen || this.destroyed) throw new Error("the data channel is not open");
    this.sent.push(data);
    pair.carry(this, new TextEncoder().encode(data));
  }

  destroy(err?: Error): void {
    if (this.destroyed || this.destroying) return;
    this.destroying = true;
    queueMicrotask(() => {
      this.destroyed = true;
      this.destroying = false;
      const wasOpen = this.channelOpen;
      this.channelOpen = false;
      this._pc.close();
      if (err) this.emit("error", err);
      this.emit("close");
      if (wasOpen) this.pair?.closedBy(this);
    });
  }

  /** simple-peer's handler, called by the connection (peer-ice.ts wraps it). */
  _onIceStateChange(): void {
    if (this.destroyed) return;
    const { iceConnectionState, iceGatheringState } = this._pc;
    this.emit("iceStateChange", iceConnectionState, iceGatheringState);
    if (iceConnectionState === "failed") this.destroy(new Error("Ice connection failed."));
    if (iceConnectionState === "closed") this.destroy(new Error("Ice connection closed."));
  }

  _onConnectionStateChange(): void {
    if (this.destroyed) return;
    if (this._pc.connectionState === "failed") this.destroy(new Error("Connection failed."));
  }

  /** Initiator: a new offer (after restartIce(), with new ICE credentials). */
  negotiate(): void {
    if (this.destroying) return;
    if (this.destroyed) throw new Error("cannot negotiate after peer is destroyed");
    if (!this.initiator || this.negotiating) return;
    this.negotiating = true;
    this.net.later(() => {
      if (this.destroyed || this.destroying) return;
      if (this._pc.takeRestart() || !this.ufrag) this.ufrag = crypto.randomUUID().slice(0, 8);
      this._pc.signalingState = "have-local-offer";
      this.signalOut({ type: "offer", sdp: this.sdp() });
      this.gather();
    });
  }

  private takeOffer(sdp: string): void {
    if (this.initiator) return;
    this.offerer = this.net.byId(line(sdp, "x-fake-peer"));
    const ufrag = line(sdp, "ice-ufrag");
    const restart = this.remoteUfrag !== undefined && ufrag !== this.remoteUfrag;
    this.remoteUfrag = ufrag;
    this._pc.signalingState = "have-remote-offer";
    this.net.later(() => {
      if (this.destroyed || this.destroying) return;
      if (restart || !this.ufrag) this.ufrag = crypto.randomUUID().slice(0, 8);
      this._pc.signalingState = "stable";
      this.signalOut({ type: "answer", sdp: this.sdp() });
      this.gather();
    });
  }

  private takeAnswer(sdp: string): void {
    if (this._pc.signalingState !== "have-local-offer") {
      this.destroy(new Error("Failed to set remote answer sdp: Called in wrong state: stable"));
      return;
    }
    this._pc.signalingState = "stable";
    this.negotiating = false;
    this.remoteUfrag = line(sdp, "ice-ufrag");
    const answerer = this.net.byId(line(sdp, "x-fake-peer"));
    if (!this.pair) {
      if (answerer?.offerer !== this || answerer.destroyed) return;
      const pair = new FakePair(this.net, this, answerer);
      this.pair = pair;
      answerer.pair = pair;
      this.net.pairs.push(pair);
      this._pc.setIce("checking");
      answerer._pc.setIce("checking");
      if (this.net.iceWorks) this.net.later(() => pair.connect());
    } else if (this.net.iceWorks) {
      // an ICE restart went through: the path is back
      const pair = this.pair;
      this.net.later(() => pair.restore());
    }
  }

  private signalOut(s: FakeSignal): void {
    this.emitted.push(s);
    this.emit("signal", s);
  }

  /** One host candidate, then the end of gathering. */
  private gather(): void {
    const candidate: Candidate = { candidate: `candidate:1 1 udp 2122260223 192.0.2.${this.emitted.length % 250} 50000 typ host ufrag ${this.ufrag ?? ""}`, sdpMid: "0", sdpMLineIndex: 0 };
    this._pc.iceGatheringState = "gathering";
    this._pc.dispatch("icecandidate", { candidate });
    this.signalOut({ type: "candidate", candidate });
    this._pc.iceGatheringState = "complete";
    this._pc.dispatch("icecandidate", { candidate: null });
  }

  private sdp(): string {
    return ["v=0", `o=- ${this.id} 2 IN IP4 127.0.0.1`, "s=-", "t=0 0", `a=ice-ufrag:${this.ufrag ?? ""}`, `a=fingerprint:sha-256 ${this.fingerprint}`, `a=x-fake-peer:${this.id}`, ""].join("\r\n");
  }

  /** getStats(): the certificates, the transport naming the remote one, and the media received. */
  private report(): FakeStats {
    const r: FakeStats = new Map();
    r.set("CL", { id: "CL", type: "certificate", fingerprint: this.fingerprint, fingerprintAlgorithm: "sha-256" });
    const pair = this.pair;
    const other = pair?.other(this);
    if (!pair?.everConnected || !other) return r;
    if (this.net.certificateStats) {
      r.set("CR", { id: "CR", type: "certificate", fingerprint: this.net.mitm ? this.net.mitmFingerprint : other.fingerprint, fingerprintAlgorithm: "sha-256" });
      r.set("T01", { id: "T01", type: "transport", dtlsState: "connected", localCertificateId: "CL", remoteCertificateId: "CR" });
    } else {
      r.set("T01", { id: "T01", type: "transport", dtlsState: "connected", localCertificateId: "CL" });
    }
    if (other.localStream) {
      if (pair.mediaFlowing) this.bytes += 1_000;
      r.set("IV", { id: "IV", type: "inbound-rtp", kind: "video", bytesReceived: this.bytes });
    }
    return r;
  }

  /** The other side's media as this side receives it. */
  remoteStreamOf(other: FakePeer): MediaStream | undefined {
    const s = other.localStream;
    return s && fakeStream({ audio: s.getAudioTracks().length > 0, video: s.getVideoTracks().length > 0 }, `remote-${other.id}`);
  }
}
