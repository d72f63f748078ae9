// One side of a 1:1 video call: a simple-peer connection whose signaling runs over the consult's
// event log (lib/rtc/messages.ts). Framework-free; lib/client/use-call.ts ties it to React.
//
// Sessions: every page load (and every retry) is a new call session with a random id. A side
// that is ready announces itself with `hello`; a side that hears a hello from a session it does
// not know drops whatever peer it had (the other side reloaded or retried), answers with its own
// hello, and — if it is the initiator (the doctor's device) — starts a new peer connection. SDP
// and ICE candidates (trickle) travel as `rtc` messages addressed from session to session, so
// leftovers of an older session are ignored. `bye` (over the log and the data channel) tells the
// other side at once that this one left.
import SimplePeer from "simple-peer";
import { channelMessage, newSessionId, type CallMessage, type ChannelMessage, type PeerSignal } from "./messages";

export type CallState = "waiting" | "connecting" | "connected" | "reconnecting" | "failed" | "ended";

/** Why the call is failed or ended, for the words the room shows. */
export type CallProblem = "timeout" | "ice-failed" | "peer-error" | "peer-left" | "hung-up";

export type RemoteMedia = { audio: boolean; video: boolean; hasAudio: boolean; hasVideo: boolean };

export type CallSnapshot = {
  state: CallState;
  problem?: CallProblem;
  remoteStream?: MediaStream;
  remoteMedia?: RemoteMedia;
};

export type CallOptions = {
  /** the doctor's device creates the offer */
  initiator: boolean;
  rtcConfig: RTCConfiguration;
  /** from starting a peer connection to media flowing */
  connectTimeoutMs?: number;
  /** posts a message to the other participant (a signal on the event log) */
  send(msg: CallMessage): Promise<void>;
  onChange(snapshot: CallSnapshot): void;
};

export const CONNECT_TIMEOUT_MS = 20_000;

export class CallSession {
  private sid = newSessionId();
  private remoteSid: string | undefined;
  private peer: SimplePeer.Instance | undefined;
  private local: MediaStream | undefined;
  private ready = false;
  private pending: CallMessage[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private channelOpen = false;
  private disposed = false;
  private snap: CallSnapshot = { state: "waiting" };

  constructor(private readonly opts: CallOptions) {}

  get snapshot(): CallSnapshot {
    return this.snap;
  }

  /** This session's id (for diagnostics and tests). */
  get sessionId(): string {
    return this.sid;
  }

  /** Local media is ready (or there is none): announce this session, then handle what arrived meanwhile. */
  start(local: MediaStream | undefined): void {
    if (this.ready || this.disposed) return;
    this.local = local;
    this.ready = true;
    this.post({ type: "hello", sid: this.sid, reply: false });
    const queued = this.pending;
    this.pending = [];
    for (const m of queued) this.receive(m);
  }

  receive(msg: CallMessage): void {
    if (this.disposed) return;
    if (!this.ready) {
      this.pending.push(msg);
      return;
    }
    switch (msg.type) {
      case "hello":
        if (msg.sid === this.remoteSid) return;
        this.follow(msg.sid);
        if (!msg.reply) this.post({ type: "hello", sid: this.sid, reply: true });
        if (this.opts.initiator) this.createPeer();
        else this.armTimeout(); // the offer should follow
        return;
      case "rtc":
        if (msg.to !== this.sid) return; // meant for an older session of ours
        if (msg.sid !== this.remoteSid) {
          // The initiator only talks to sessions it has heard; an answerer follows a new offer.
          if (this.opts.initiator || msg.data.type !== "offer") return;
          this.follow(msg.sid);
        }
        if (!this.peer) {
          if (this.opts.initiator) return;
          this.createPeer();
        }
        this.peer?.signal(msg.data as SimplePeer.SignalData);
        return;
      case "bye":
        if (msg.sid === this.remoteSid) this.remoteLeft();
        return;
    }
  }

  /** Mute or unmute the microphone, turn the camera off or on; the other side is told. */
  setLocalEnabled(kind: "audio" | "video", enabled: boolean): void {
    for (const t of kind === "audio" ? (this.local?.getAudioTracks() ?? []) : (this.local?.getVideoTracks() ?? [])) t.enabled = enabled;
    this.sendChannel(this.mediaMessage());
  }

  /** After a failure: a new session, and a new attempt with whoever answers. */
  retry(): void {
    if (this.disposed) return;
    this.dropPeer();
    this.sid = newSessionId();
    this.remoteSid = undefined;
    this.set({ state: "waiting" });
    this.post({ type: "hello", sid: this.sid, reply: false });
  }

  /** Leave the call: the other side is told at once. */
  hangUp(): void {
    if (this.disposed) return;
    this.sendChannel({ type: "bye" });
    this.post({ type: "bye", sid: this.sid });
    this.dispose({ state: "ended", problem: "hung-up" });
  }

  /** The page is going away (reload, tab closed): say bye without waiting for anything. */
  pageHide(sendNow: (msg: CallMessage) => void): void {
    if (this.disposed) return;
    this.sendChannel({ type: "bye" });
    sendNow({ type: "bye", sid: this.sid });
    this.dispose({ state: "ended", problem: "hung-up" });
  }

  /** The other participant is gone from the consult (left, removed) without a bye. */
  remoteLeft(): void {
    if (this.disposed) return;
    this.dropPeer();
    this.remoteSid = undefined;
    this.set({ state: "ended", problem: "peer-left" });
  }

  dispose(final: CallSnapshot = { state: "ended" }): void {
    if (this.disposed) return;
    this.dropPeer();
    this.disposed = true;
    this.set(final);
  }

  // ---- internals ----

  private follow(remoteSid: string): void {
    this.dropPeer();
    this.remoteSid = remoteSid;
    this.set({ state: "connecting" });
  }

  private createPeer(): void {
    this.dropPeer();
    const remoteSid = this.remoteSid;
    if (!remoteSid) return;
    const peer = new SimplePeer({
      initiator: this.opts.initiator,
      config: this.opts.rtcConfig,
      stream: this.local,
      trickle: true,
      // Receive both kinds even when this side has no camera or microphone.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
    });
    this.peer = peer;
    this.armTimeout();
    const mine = () => this.peer === peer;
    peer.on("signal", (data) => {
      if (mine()) this.post({ type: "rtc", sid: this.sid, to: remoteSid, data: data as PeerSignal });
    });
    peer.on("stream", (stream: MediaStream) => {
      if (!mine()) return;
      this.snap = { ...this.snap, remoteStream: stream };
      this.update();
    });
    peer.on("connect", () => {
      if (!mine()) return;
      this.channelOpen = true;
      this.sendChannel(this.mediaMessage());
      this.update();
    });
    peer.on("data", (raw: unknown) => {
      if (!mine()) return;
      let parsed: ChannelMessage | undefined;
      try {
        parsed = channelMessage.parse(JSON.parse(new TextDecoder().decode(raw as Uint8Array)));
      } catch {
        return;
      }
      if (parsed.type === "bye") this.remoteLeft();
      else {
        this.snap = { ...this.snap, remoteMedia: { audio: parsed.audio, video: parsed.video, hasAudio: parsed.hasAudio, hasVideo: parsed.hasVideo } };
        this.update();
      }
    });
    peer.on("iceStateChange", (ice: RTCIceConnectionState) => {
      if (!mine()) return;
      if (ice === "disconnected" && this.snap.state === "connected") this.set({ ...this.snap, state: "reconnecting" });
      else if ((ice === "connected" || ice === "completed") && this.snap.state === "reconnecting") this.set({ ...this.snap, state: "connected" });
      else if (ice === "failed") this.fail("ice-failed");
    });
    peer.on("close", () => {
      if (mine()) this.remoteLeft();
    });
    peer.on("error", () => {
      if (mine()) this.fail("peer-error");
    });
  }

  /** Connected once the data channel is open and the other side's media (if it sends any) has arrived. */
  private update(): void {
    if (!this.channelOpen || this.snap.state === "failed" || this.snap.state === "ended") {
      this.emit();
      return;
    }
    const m = this.snap.remoteMedia;
    const expectsMedia = m === undefined || m.hasAudio || m.hasVideo;
    if (!expectsMedia || this.snap.remoteStream) {
      this.clearTimeout();
      if (this.snap.state !== "reconnecting") this.snap = { ...this.snap, state: "connected", problem: undefined };
    }
    this.emit();
  }

  private fail(problem: CallProblem): void {
    this.dropPeer();
    this.set({ state: "failed", problem });
  }

  private armTimeout(): void {
    this.clearTimeout();
    this.timer = setTimeout(() => {
      if (this.snap.state === "connecting") this.fail("timeout");
    }, this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
  }

  private clearTimeout(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dropPeer(): void {
    this.clearTimeout();
    const peer = this.peer;
    this.peer = undefined;
    this.channelOpen = false;
    this.snap = { state: this.snap.state };
    peer?.destroy();
  }

  private mediaMessage(): ChannelMessage {
    const audio = this.local?.getAudioTracks() ?? [];
    const video = this.local?.getVideoTracks() ?? [];
    return {
      type: "media",
      audio: audio.some((t) => t.enabled),
      video: video.some((t) => t.enabled),
      hasAudio: audio.length > 0,
      hasVideo: video.length > 0,
    };
  }

  private sendChannel(msg: ChannelMessage): void {
    if (!this.peer || !this.channelOpen) return;
    try {
      this.peer.send(JSON.stringify(msg));
    } catch {
      // the channel is closing; the log carries what matters
    }
  }

  private post(msg: CallMessage): void {
    this.opts.send(msg).catch(() => {
      // A lost signal shows up as the connect timeout, which offers a retry.
    });
  }

  private set(s: CallSnapshot): void {
    this.snap = s;
    this.emit();
  }

  private emit(): void {
    this.opts.onChange(this.snap);
  }
}
