// The peer-link half of a call: one simple-peer connection, started only once the handshake has
// verified the other device (lib/rtc/verification.ts), with this session's DTLS certificate. It
// carries the media and the data channel, brings a dropped connection back by ICE restarts
// (lib/rtc/recovery.ts), notices stalled media before ICE does (lib/rtc/stall.ts), and says when a
// TURN server refused or never answered. It decides nothing about the call: it reports to
// lib/rtc/call.ts, which does. One instance per peer connection; destroy() ends it for good.
import SimplePeer from "simple-peer";
import { channelMessage, type CallMessage, type ChainHeadMessage, type ChannelMessage, type PeerSignal } from "./messages";
import { QualitySampler, type Quality } from "./quality";
import { pollStall } from "./stall";
import { IceRecovery } from "./recovery";
import { connectionOf, keepThroughIceFailure, remoteCertificateFingerprint, restartIce, setIceServers, watchRelay } from "./peer-ice";
import type { RemoteMedia } from "./call-state";
import type { Clock } from "@/lib/client/clock";
import type { CallMarks } from "./call-timeline";

/** Makes a simple-peer instance (the real one in the browser; a fake in unit tests). */
export type PeerFactory = (opts: SimplePeer.Options) => SimplePeer.Instance;

export const simplePeer: PeerFactory = (opts) => new SimplePeer(opts);

/** What the link reports; the call decides what each means. */
export type PeerLinkEvents = {
  /** the other side's media stream arrived */
  stream(stream: MediaStream): void;
  /** which tracks the other side sends, or that its stream arrived: the call may be connected now */
  changed(): void;
  /** the data channel opened: the connection is up (check its certificate now) */
  connected(): void;
  /** the other side hung up over the data channel */
  bye(): void;
  chainHead(head: ChainHeadMessage): void;
  /** the connection dropped and ICE restarts are bringing it back: show "reconnecting" */
  down(): void;
  /** ICE restarts could not bring it back, or it closed: a new handshake is needed */
  lost(): void;
  /** the connection failed (never up, or up and now erroring: `wasUp` tells the call) */
  error(): void;
  /** relay-only calls: gathering ended without a candidate (`refused`: the TURN server said no) */
  noRelay(refused: boolean): void;
};

export type PeerLinkOptions = {
  initiator: boolean;
  /** the session's certificate: the one in the verified hello */
  certificate: RTCCertificate;
  config: RTCConfiguration;
  /** fresh ICE servers (TURN credentials near expiry) for an ICE restart */
  renewConfig(): Promise<RTCConfiguration>;
  local: MediaStream | undefined;
  /** a screen shared in place of the camera, if any (looked up on each new connection) */
  screen(): MediaStreamTrack | undefined;
  newPeer: PeerFactory;
  clock: Clock;
  marks: CallMarks;
  /** posts an `rtc` or `ice-restart` message (the session ids are the call's) */
  post(msg: { type: "rtc"; gen: number; data: PeerSignal } | { type: "ice-restart"; gen: number }): void;
  events: PeerLinkEvents;
};

export class PeerLink {
  private readonly peer: SimplePeer.Instance;
  private readonly recovery: IceRecovery;
  private destroyed = false;
  private open = false;
  /** the connection was up (its data channel opened): a drop is recovered on it by ICE restarts */
  private up = false;
  /** media from the other side stopped arriving before ICE noticed */
  private stalled = false;
  private stopStall: () => void = () => undefined;
  private readonly sampler = new QualitySampler();
  private media: RemoteMedia | undefined;
  private stream: MediaStream | undefined;

  constructor(private readonly o: PeerLinkOptions) {
    const peer = o.newPeer({
      initiator: o.initiator,
      config: { ...o.config, certificates: [o.certificate] },
      stream: o.local,
      trickle: true,
      // Receive both kinds even when this side has no camera or microphone.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
    });
    this.peer = peer;
    // Once this connection was up, ICE failing does not end it: recovery restarts ICE on it.
    keepThroughIceFailure(peer, () => !this.destroyed && this.up);
    const recovery = new IceRecovery(
      o.initiator ? "initiator" : "responder",
      {
        restartIce: (gen) => {
          const current = () => !this.destroyed && recovery.gen === gen;
          void o
            .renewConfig() // fresh TURN credentials when the old ones near expiry; the certificate stays
            .then((config) => (current() ? restartIce(peer, config.iceServers ?? [], current) : undefined))
            .catch(() => undefined); // the next attempt tries again
        },
        askRestart: (gen) => {
          if (!this.destroyed) o.post({ type: "ice-restart", gen });
        },
        giveUp: () => {
          if (!this.destroyed) o.events.lost();
        },
      },
      o.clock,
    );
    this.recovery = recovery;
    const pc = connectionOf(peer);
    pc?.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected" && !this.destroyed) o.marks("dtls-connected");
    });
    if (pc && o.config.iceTransportPolicy === "relay") watchRelay(pc, (refused) => !this.destroyed && o.events.noRelay(refused));
    this.wire();
  }

  /** The data channel is open. */
  get isOpen(): boolean {
    return this.open;
  }

  /** The connection was up: a failure now is a drop to recover from, not a failed start. */
  get wasUp(): boolean {
    return this.up;
  }

  /** The media is down, being brought back by ICE restarts. */
  get iceDown(): boolean {
    return this.recovery.isDown;
  }

  get remoteStream(): MediaStream | undefined {
    return this.stream;
  }

  get remoteMedia(): RemoteMedia | undefined {
    return this.media;
  }

  /** Hands simple-peer an offer, answer or candidate of the ICE generation the connection is on. */
  async signal(msg: Extract<CallMessage, { type: "rtc" }>): Promise<void> {
    if (!this.acceptGeneration(msg)) return;
    if (msg.data.type === "offer" || msg.data.type === "answer") this.o.marks(msg.data.type);
    if (!this.o.initiator && msg.data.type === "offer" && (msg.gen ?? 0) > 0) await this.renewIceServers();
    if (!this.destroyed) this.peer.signal(msg.data as SimplePeer.SignalData);
  }

  /** The responder asks for an ICE restart: true when the call should show "reconnecting". */
  peerAsked(gen: number): boolean {
    return this.up && this.recovery.peerAsked(gen);
  }

  /** The remote certificate's fingerprint (getStats), or undefined where the browser does not say. */
  remoteFingerprint(): Promise<string | undefined> {
    const pc = connectionOf(this.peer);
    return pc ? remoteCertificateFingerprint(pc) : Promise.resolve(undefined);
  }

  /** The connection's quality now (getStats, against the previous call of this). */
  quality(): Promise<Quality | undefined> {
    const pc = connectionOf(this.peer);
    return pc && this.open ? this.sampler.sample(pc, this.o.clock.now()) : Promise.resolve(undefined);
  }

  /** Sends `track` in place of the current one of its kind (no renegotiation), then says what is sent. */
  async sendTrack(kind: "audio" | "video", track: MediaStreamTrack): Promise<void> {
    const sender = connectionOf(this.peer)
      ?.getSenders()
      .find((s) => s.track?.kind === kind);
    await sender?.replaceTrack(track).catch(() => undefined);
    this.sendMedia();
  }

  /** Tells the other side which tracks this side sends (mute, camera off). */
  sendMedia(): void {
    const audio = this.o.local?.getAudioTracks() ?? [];
    const video = this.o.local?.getVideoTracks() ?? [];
    this.send({ type: "media", audio: audio.some((t) => t.enabled), video: video.some((t) => t.enabled), hasAudio: audio.length > 0, hasVideo: video.length > 0 });
  }

  send(msg: ChannelMessage): void {
    if (this.destroyed || !this.open) return;
    try {
      this.peer.send(JSON.stringify(msg));
    } catch {
      // the channel is closing; the log carries what matters
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.open = false;
    this.up = false;
    this.recovery.dispose();
    this.stopStall();
    this.peer.destroy();
  }

  private wire(): void {
    const { peer, o } = this;
    const live = () => !this.destroyed;
    connectionOf(peer)?.addEventListener("icecandidate", (e: RTCPeerConnectionIceEvent) => {
      if (live() && e.candidate?.candidate) this.recovery.localCandidate();
    });
    peer.on("signal", (data) => {
      if (!live()) return;
      const signal = data as PeerSignal;
      if (signal.type === "offer" || signal.type === "answer") o.marks(signal.type);
      o.post({ type: "rtc", gen: this.recovery.gen, data: signal });
    });
    peer.on("stream", (stream: MediaStream) => {
      if (!live()) return;
      this.stream = stream;
      o.events.stream(stream);
    });
    peer.on("connect", () => {
      if (!live()) return;
      this.open = true;
      this.up = true;
      o.marks("channel-open");
      const screen = o.screen();
      if (screen) void this.sendTrack("video", screen); // a new connection after a drop: still sharing
      this.sendMedia();
      this.watchStall();
      o.events.connected();
    });
    peer.on("data", (raw: unknown) => {
      if (!live()) return;
      let parsed: ChannelMessage;
      try {
        parsed = channelMessage.parse(JSON.parse(new TextDecoder().decode(raw as Uint8Array)));
      } catch {
        return;
      }
      if (parsed.type === "bye") o.events.bye();
      else if (parsed.type === "chain-head") o.events.chainHead(parsed);
      else {
        this.media = { audio: parsed.audio, video: parsed.video, hasAudio: parsed.hasAudio, hasVideo: parsed.hasVideo };
        o.events.changed();
      }
    });
    peer.on("iceStateChange", (ice: RTCIceConnectionState) => {
      if (!live()) return;
      if (ice === "connected" || ice === "completed") o.marks("ice-connected");
      if (ice === "disconnected") this.onDown();
      // While media is stalled an ICE "connected" (the old pair, mid-restart) is not the call back:
      // the stall watch says so once bytes arrive again.
      else if ((ice === "connected" || ice === "completed") && !this.stalled) this.onUp();
      else if (ice === "failed") {
        // On a connection that was up, ICE "failed" is recovered like a drop, on the same
        // connection (a restart revives a failed transport); one that never came up is lost.
        if (!this.up) o.events.lost();
        else if (this.recovery.iceFailed()) o.events.down();
      }
    });
    // The channel closed without a bye: the connection broke (or the other side is starting over).
    peer.on("close", () => {
      if (live()) o.events.lost();
    });
    peer.on("error", () => {
      if (live()) o.events.error();
    });
  }

  /** Media stalled or ICE disconnected on a connection that was up: recovery restarts ICE. */
  private onDown(): void {
    if (this.up && this.recovery.dropped()) this.o.events.down();
  }

  private onUp(): void {
    this.stalled = false;
    this.recovery.back();
    this.o.events.changed();
  }

  /**
   * Bytes from the other side (while it sends media): when they stop, recovery starts as for ICE
   * "disconnected", seconds before ICE says so; when they flow again on a connected ICE transport,
   * the call is back (lib/rtc/stall.ts).
   */
  private watchStall(): void {
    const pc = connectionOf(this.peer);
    if (!pc) return;
    this.stopStall();
    const active = () => !this.destroyed && this.open && !!this.media && (this.media.hasAudio || this.media.hasVideo);
    this.stopStall = pollStall(pc, this.o.clock, active, (stalled) => {
      if (this.destroyed) return;
      if (stalled && !this.iceDown) {
        this.stalled = true;
        this.onDown();
      } else if (!stalled && this.stalled && (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed")) {
        this.onUp();
      }
    });
  }

  /** Whether an offer, answer or candidate belongs to the ICE generation the connection is on. */
  private acceptGeneration(msg: Extract<CallMessage, { type: "rtc" }>): boolean {
    const gen = msg.gen ?? 0;
    switch (msg.data.type) {
      case "offer":
        return !this.o.initiator && this.recovery.offer(gen);
      case "answer":
        return this.o.initiator && this.recovery.answer(gen);
      case "candidate":
        return this.recovery.remoteCandidate(gen);
      default:
        return true;
    }
  }

  /** Before answering an ICE restart: TURN credentials that are about to expire are renewed. */
  private async renewIceServers(): Promise<void> {
    const pc = connectionOf(this.peer);
    const config = await this.o.renewConfig().catch(() => undefined);
    if (config && pc) setIceServers(pc, config.iceServers ?? []);
  }
}
