// One side of a 1:1 video call: a simple-peer connection whose signaling runs over the consult's
// event log (lib/rtc/messages.ts), set up only between devices that completed the end-to-end
// handshake (lib/rtc/handshake.ts, PROTOCOL §2). Framework-free; lib/client/use-call.ts ties it to
// React.
//
// Sessions: every page load and every retry is a new handshake session (new session id, ephemeral
// key and DTLS certificate). A ready side posts its commit; a side that sees a commit of a session
// it does not know answers with its own commit and, when the rules allow, reveals its signed hello
// to it. Once the peer's hello is verified, the initiator (the doctor's device) starts the peer
// connection with this session's certificate; every SDP is checked against the certificate in the
// sender's verified hello before simple-peer sees it, and SDP that arrives earlier is held. The
// call code is shown when both hellos are out; "verified" needs both people's confirmation (or a
// pair verified before) and the connection's remote certificate checked in getStats().
import SimplePeer from "simple-peer";
import { ProtocolError, equal, parseDtlsFingerprint, type ConsultKey } from "@/lib/crypto";
import { channelMessage, type CallMessage, type ChainHeadMessage, type ChannelMessage, type PeerSignal } from "./messages";
import { Handshake, type DeviceKeys, type VerifiedPeer } from "./handshake";
import { qualityOf, sampleOf, type Quality, type StatsSample } from "./quality";
import { receivedBytes, StallWatch, STALL_POLL_MS } from "./stall";
import { IceRecovery } from "./recovery";
import { connectionOf, keepThroughIceFailure, restartIce, setIceServers } from "./peer-ice";

export type CallState = "waiting" | "connecting" | "connected" | "reconnecting" | "failed" | "ended";

/** Why the call is failed or ended, for the words the room shows. */
export type CallProblem =
  | "timeout"
  | "ice-failed"
  | "peer-error"
  | "peer-left"
  | "hung-up"
  | "handshake"
  | "certificate"
  | "mismatch"
  /** the TURN server refused this device's credentials (401/403) */
  | "turn-refused"
  /** no TURN server answered, and calls may only go through one */
  | "turn-unreachable";

export type RemoteMedia = { audio: boolean; video: boolean; hasAudio: boolean; hasVideo: boolean };

export type E2eeStatus = "handshaking" | "unverified" | "verified" | "mismatch" | "key-changed";

export type E2ee = {
  status: E2eeStatus;
  /** the call code, once final */
  code?: string;
  confirmedByMe: boolean;
  confirmedByPeer: boolean;
  /** the connection's remote certificate matched the peer's verified hello */
  dtlsChecked: boolean;
  /** the peer's identity key (SPKI), once verified */
  peerIdentity?: Uint8Array;
  /** the consult key this device holds for chat and documents (its epoch), once sent or received */
  consultKeyEpoch?: number;
};

export type CallSnapshot = {
  state: CallState;
  problem?: CallProblem;
  remoteStream?: MediaStream;
  remoteMedia?: RemoteMedia;
  e2ee: E2ee;
};

/** What the device remembers about people it has met (lib/client/device-identity.ts `trustFor`). */
export type Trust = {
  /** the pinned identity of this counterpart: new, the same, or changed */
  pin(peerIdentity: Uint8Array): Promise<"new" | "same" | "changed">;
  /** a key change the user acknowledged: pin the new key (it is unverified until compared) */
  acceptChange(peerIdentity: Uint8Array): Promise<void>;
  isVerified(peerIdentity: Uint8Array): Promise<boolean>;
  rememberVerified(peerIdentity: Uint8Array): Promise<void>;
};

/** The consult key (PROTOCOL §3): the owner device sends it, every other device receives it. */
export type ConsultKeys =
  | { role: "owner"; current(): Promise<ConsultKey> }
  | { role: "recipient"; receive(k: ConsultKey): Promise<"added" | "known"> };

export type CallOptions = {
  consultKeys?: ConsultKeys;
  /** the doctor's device creates the offer */
  initiator: boolean;
  consultId: string;
  keys: DeviceKeys;
  trust: Trust;
  /** ICE servers and policy for a new peer connection (TURN credentials expire: asked for each time) */
  rtcConfig: () => Promise<RTCConfiguration>;
  /** from starting a peer connection to media flowing */
  connectTimeoutMs?: number;
  /** posts a message to the other participant (a signal on the event log) */
  send(msg: CallMessage): Promise<void>;
  onChange(snapshot: CallSnapshot): void;
  /** the codes differed: tell the server's audit log */
  onMismatch?(): void;
  /**
   * The clinic allows trust on first use (PROTOCOL §3): the consult key goes to a device whose
   * signed hello and DTLS binding checked out, before the people compared the call code.
   */
  trustOnFirstUse?: boolean;
  /** the peer's chat chain head, received over the DTLS-checked data channel */
  onChainHead?(head: ChainHeadMessage): void;
};

export const CONNECT_TIMEOUT_MS = 20_000;
/** While recovering with new handshakes, an attempt that has not connected by then is given up for the next one. */
export const RECOVERY_ATTEMPT_MS = 10_000;

const INITIAL_E2EE: E2ee = { status: "handshaking", confirmedByMe: false, confirmedByPeer: false, dtlsChecked: false };

export class CallSession {
  private hs: Handshake | undefined;
  private remoteSid: string | undefined;
  private peer: SimplePeer.Instance | undefined;
  private local: MediaStream | undefined;
  private held: CallMessage[] = [];
  /** a consult key that arrived before this side counted the call as verified */
  private heldKey: Extract<CallMessage, { type: "key" }> | undefined;
  private tofuKeyDone = false;
  private queue: Promise<void> = Promise.resolve();
  private sending: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private channelOpen = false;
  /** this device's chat chain head: sent when the channel is checked, on change, and at the end */
  private chainHead: ChainHeadMessage | undefined;
  /** a chain head that arrived before the DTLS binding was checked */
  private heldHead: ChainHeadMessage | undefined;
  private disposed = false;
  /** the call was up and is being brought back by new handshakes (the room says "reconnecting…") */
  private recovering = false;
  private recoverAttempts = 0;
  private recoverTimer: ReturnType<typeof setTimeout> | undefined;
  /** the current peer connection was up (its data channel opened): a drop is recovered on it by ICE restarts */
  private peerUp = false;
  /** ICE restarts on the current peer connection after a drop (lib/rtc/recovery.ts) */
  private recovery: IceRecovery | undefined;
  /** media from the other side stopped arriving before ICE noticed (lib/rtc/stall.ts) */
  private stalled = false;
  private stallTimer: ReturnType<typeof setInterval> | undefined;
  /** the peer session of the connection that dropped: its bye still means the person left */
  private droppedSid: string | undefined;
  private snap: CallSnapshot = { state: "waiting", e2ee: INITIAL_E2EE };
  private lastSample: { peer: SimplePeer.Instance; sample: StatsSample } | undefined;
  /** a screen shared in place of the camera (the doctor's) */
  private screen: MediaStreamTrack | undefined;

  constructor(private readonly opts: CallOptions) {}

  get snapshot(): CallSnapshot {
    return this.snap;
  }

  /** Local media is ready (or there is none): start this side's first handshake session. */
  start(local: MediaStream | undefined): void {
    if (this.disposed) return;
    this.local = local;
    this.enqueue(() => this.newSession(undefined));
  }

  /** A message from the other participant, handled strictly in arrival order. */
  receive(msg: CallMessage): void {
    this.enqueue(() => this.handle(msg));
  }

  /** The person confirmed that both screens show the same call code. */
  confirm(): void {
    this.enqueue(async () => {
      const hs = this.hs;
      if (!hs?.complete || this.snap.e2ee.confirmedByMe) return;
      this.setE2ee({ confirmedByMe: true });
      this.post(await hs.confirmMessage());
      await this.maybeVerified();
    });
  }

  /** The person says the codes differ: end the call, wipe the keys, tell the audit log. */
  mismatch(): void {
    this.enqueue(() => {
      const hs = this.hs;
      hs?.wipe();
      if (hs) this.post({ type: "bye", sid: hs.sid });
      this.opts.onMismatch?.();
      this.dispose({ state: "ended", problem: "mismatch", e2ee: { ...this.snap.e2ee, status: "mismatch" } });
      return Promise.resolve();
    });
  }

  /** The person acknowledged that a known counterpart's key changed; the call stays unverified until compared. */
  acknowledgeKeyChange(): void {
    this.enqueue(async () => {
      const id = this.snap.e2ee.peerIdentity;
      if (this.snap.e2ee.status !== "key-changed" || !id) return;
      await this.opts.trust.acceptChange(id);
      this.setE2ee({ status: "unverified" });
    });
  }

  /** The connection's quality now (from getStats, against the previous call of this); undefined without a connection. */
  async quality(): Promise<Quality | undefined> {
    const peer = this.peer;
    const pc = connectionOf(peer);
    if (!peer || !pc || !this.channelOpen) return undefined;
    const report = await pc.getStats();
    const sample = sampleOf(report.values() as Iterable<Record<string, unknown> & { type: string; id: string }>, Date.now());
    const prev = this.lastSample?.peer === peer ? this.lastSample.sample : undefined;
    this.lastSample = { peer, sample };
    return qualityOf(prev, sample);
  }

  /**
   * The local stream's track of `kind` was replaced (another camera or microphone): send the new
   * one in its place, no renegotiation. A screen being shared keeps its place until it stops.
   */
  replaceTrack(kind: "audio" | "video", track: MediaStreamTrack): Promise<void> {
    if (kind === "video" && this.screen) return Promise.resolve();
    return this.sendTrack(kind, track);
  }

  /** Sends a shared screen instead of the camera; undefined goes back to the camera. */
  shareScreen(track: MediaStreamTrack | undefined): void {
    this.screen = track;
    const camera = this.local?.getVideoTracks()[0];
    const next = track ?? camera;
    if (next) void this.sendTrack("video", next);
  }

  private async sendTrack(kind: "audio" | "video", track: MediaStreamTrack): Promise<void> {
    const pc = connectionOf(this.peer);
    const sender = pc?.getSenders().find((s) => s.track?.kind === kind);
    await sender?.replaceTrack(track).catch(() => undefined);
    this.sendChannel(this.mediaMessage());
  }

  /** Mute or unmute the microphone, turn the camera off or on; the other side is told. */
  setLocalEnabled(kind: "audio" | "video", enabled: boolean): void {
    for (const t of kind === "audio" ? (this.local?.getAudioTracks() ?? []) : (this.local?.getVideoTracks() ?? [])) t.enabled = enabled;
    this.sendChannel(this.mediaMessage());
  }

  /** This device's chat chain head changed: the peer hears it now (if connected) and at the end. */
  setChainHead(head: Omit<ChainHeadMessage, "type">): void {
    this.chainHead = { type: "chain-head", ...head };
    if (this.snap.e2ee.dtlsChecked) this.sendChannel(this.chainHead);
  }

  /** After a failure: a new session and a new attempt. */
  retry(): void {
    this.stopRecovering();
    this.enqueue(() => this.newSession(undefined));
  }

  /** Leave the call: the other side is told at once. */
  hangUp(): void {
    if (this.disposed) return;
    this.sendFinalHead();
    this.sendChannel({ type: "bye" });
    if (this.hs) this.post({ type: "bye", sid: this.hs.sid });
    this.dispose({ ...this.snap, state: "ended", problem: "hung-up" });
  }

  /** The page is going away (reload, tab closed): say bye without waiting for anything. */
  pageHide(sendNow: (msg: CallMessage) => void): void {
    if (this.disposed) return;
    this.sendFinalHead();
    this.sendChannel({ type: "bye" });
    if (this.hs) sendNow({ type: "bye", sid: this.hs.sid });
    this.dispose({ ...this.snap, state: "ended", problem: "hung-up" });
  }

  /** The other participant is gone from the consult (left, removed) without a bye. */
  remoteLeft(): void {
    if (this.disposed) return;
    this.stopRecovering();
    this.dropPeer();
    this.remoteSid = undefined;
    this.set({ state: "ended", problem: "peer-left", e2ee: INITIAL_E2EE });
  }

  dispose(final?: CallSnapshot): void {
    if (this.disposed) return;
    this.stopRecovering();
    this.dropPeer();
    this.hs?.wipe();
    this.disposed = true;
    this.set(final ?? { ...this.snap, state: "ended" });
  }

  // ---- the handshake ----

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.disposed ? undefined : step())).catch((err: unknown) => this.onError(err));
  }

  private onError(err: unknown): void {
    if (this.disposed) return;
    // A refused handshake message is an attack or a bug: never go on with that peer.
    this.dropPeer();
    this.hs?.wipe();
    this.set({ ...this.snap, state: "failed", problem: err instanceof ProtocolError ? "handshake" : "peer-error" });
  }

  /** A new session: new id, ephemeral key and certificate; `seed` is a peer commit that prompted it. */
  private async newSession(seed: Extract<CallMessage, { type: "commit" }> | undefined): Promise<void> {
    // This session supersedes any recovery attempt still waiting to start.
    clearTimeout(this.recoverTimer);
    this.recoverTimer = undefined;
    this.dropPeer();
    this.hs?.wipe();
    this.held = [];
    this.heldKey = undefined;
    this.heldHead = undefined;
    this.tofuKeyDone = false;
    this.remoteSid = undefined;
    const hs = await Handshake.create(this.opts.keys, this.opts.consultId);
    this.hs = hs;
    // After a drop the verified state is earned again, never carried over (PROTOCOL §2): a new
    // session, a new DTLS certificate, and "verified" only once both identity keys are the
    // confirmed ones and the new connection's certificate checks out.
    this.set({ state: this.recovering ? "reconnecting" : seed ? "connecting" : "waiting", e2ee: INITIAL_E2EE });
    if (seed) {
      hs.onCommit(seed);
      this.remoteSid = seed.sid;
    }
    this.post(hs.commitMessage(false));
    const reveal = hs.commitPosted();
    if (reveal) this.post(reveal);
    // The connect timeout runs from the peer connection's start (createPeer). Waiting for the other
    // side's hello is not a connection failing: that side may be offline for a while (its event
    // stream cut, its page reloading) and the call goes on when it is back. While recovering, each
    // attempt still gets RECOVERY_ATTEMPT_MS before the next.
    if (this.recovering) this.armTimeout();
  }

  private async handle(msg: CallMessage): Promise<void> {
    const hs = this.hs;
    if (!hs) return;
    switch (msg.type) {
      case "commit": {
        if (msg.sid === hs.sid) return;
        const { outcome, reveal } = hs.onCommit(msg);
        if (outcome === "restart") {
          // The other side started over (a reload, or its connection broke before ours noticed).
          if (this.snap.state === "connected" || this.snap.state === "reconnecting") this.recovering = true;
          return this.newSession(msg);
        }
        if (outcome === "duplicate") return;
        if (this.remoteSid !== msg.sid) {
          this.dropPeer();
          this.held = [];
          this.remoteSid = msg.sid;
        }
        this.set({ ...this.snap, state: this.recovering ? "reconnecting" : "connecting" });
        if (this.recovering) this.armTimeout();
        if (!msg.reply) this.post(hs.commitMessage(true));
        if (reveal) this.post(reveal);
        return;
      }
      case "reveal": {
        if (msg.to !== hs.sid) return;
        const peer = await hs.onReveal(msg);
        this.remoteSid = peer.sid;
        await this.onVerifiedHello(peer);
        if (this.opts.initiator) await this.createPeer();
        const held = this.held;
        this.held = [];
        for (const m of held) await this.handle(m);
        return;
      }
      case "confirm": {
        if (msg.to !== hs.sid) return;
        if (!(await hs.checkConfirm(msg))) throw new ProtocolError("a confirmation that does not verify");
        this.setE2ee({ confirmedByPeer: true });
        await this.maybeVerified();
        return;
      }
      case "rtc": {
        if (msg.to !== hs.sid) return; // for an older session of ours
        const peer = hs.peer;
        if (!peer) {
          if (msg.sid === this.remoteSid) this.held.push(msg); // SDP before the hello: held
          return;
        }
        if (msg.sid !== peer.sid) return;
        if (msg.data.sdp !== undefined) {
          try {
            hs.checkSdp(msg.data.sdp);
          } catch {
            this.dropPeer();
            hs.wipe();
            this.set({ ...this.snap, state: "failed", problem: "certificate" });
            return;
          }
        }
        if (!this.peer) {
          if (this.opts.initiator || msg.data.type !== "offer") return;
          await this.createPeer();
        }
        if (!this.acceptGeneration(msg)) return;
        if (!this.opts.initiator && msg.data.type === "offer" && (msg.gen ?? 0) > 0) await this.renewIceServers();
        this.peer?.signal(msg.data as SimplePeer.SignalData);
        return;
      }
      case "ice-restart": {
        // The responder's side of the connection is down: restart ICE (recovery decides whether a
        // restart newer than the one it saw is already under way).
        if (!this.opts.initiator || msg.to !== hs.sid || msg.sid !== this.remoteSid || !this.peerUp) return;
        if (this.recovery?.peerAsked(msg.gen)) this.showReconnecting();
        return;
      }
      case "key": {
        if (this.opts.consultKeys?.role !== "recipient" || msg.to !== hs.sid) return;
        if (this.snap.e2ee.status !== "verified" && !this.trustedOnFirstUse()) {
          this.heldKey = msg; // only a verified device takes a key: wait for our own verdict
          return;
        }
        await this.receiveKey(msg);
        return;
      }
      case "bye":
        // While recovering, a bye of the session that dropped may arrive after the channel closed.
        if (msg.sid === this.remoteSid || (this.recovering && msg.sid === this.droppedSid)) this.remoteLeft();
        return;
    }
  }

  /** Whether an offer, answer or candidate belongs to the ICE generation the connection is on. */
  private acceptGeneration(msg: Extract<CallMessage, { type: "rtc" }>): boolean {
    const r = this.recovery;
    if (!r) return true;
    const gen = msg.gen ?? 0;
    switch (msg.data.type) {
      case "offer":
        return !this.opts.initiator && r.offer(gen);
      case "answer":
        return this.opts.initiator && r.answer(gen);
      case "candidate":
        return r.remoteCandidate(gen);
      default:
        return true;
    }
  }

  /** Before answering an ICE restart: TURN credentials that are about to expire are renewed. */
  private async renewIceServers(): Promise<void> {
    const pc = connectionOf(this.peer);
    const config = await this.opts.rtcConfig().catch(() => undefined);
    if (config && pc) setIceServers(pc, config.iceServers ?? []);
  }

  private async receiveKey(msg: Extract<CallMessage, { type: "key" }>): Promise<void> {
    const keys = this.opts.consultKeys;
    const hs = this.hs;
    if (keys?.role !== "recipient" || !hs) return;
    const k = await hs.openKeyMessage(msg);
    const epoch = k.epoch;
    await keys.receive(k);
    this.setE2ee({ consultKeyEpoch: epoch });
  }

  private async onVerifiedHello(peer: VerifiedPeer): Promise<void> {
    const hs = this.hs;
    const pin = await this.opts.trust.pin(peer.identity);
    const remembered = pin === "same" && (await this.opts.trust.isVerified(peer.identity));
    this.setE2ee({
      status: pin === "changed" ? "key-changed" : "unverified",
      code: hs?.complete ? peer.code.text : undefined,
      peerIdentity: peer.identity,
    });
    // A pair compared before needs no new comparison: confirm on the person's behalf.
    if (remembered && hs) {
      this.setE2ee({ confirmedByMe: true });
      this.post(await hs.confirmMessage());
    }
  }

  /** Verified: both confirmations, and the connection's remote certificate is the verified one. */
  private async maybeVerified(): Promise<void> {
    const e = this.snap.e2ee;
    if (this.trustedOnFirstUse() && !this.tofuKeyDone) {
      this.tofuKeyDone = true;
      await this.exchangeKey();
    }
    if (e.status !== "unverified" || !e.confirmedByMe || !e.confirmedByPeer || !e.dtlsChecked) return;
    this.setE2ee({ status: "verified" });
    if (e.peerIdentity) await this.opts.trust.rememberVerified(e.peerIdentity);
    await this.exchangeKey();
  }

  /**
   * Trust on first use, where the clinic allows it: the peer's signed hello is pinned (new or the
   * same key, never a changed one) and the connection is bound to it, but the people have not
   * compared the code. The room says "not verified" throughout.
   */
  private trustedOnFirstUse(): boolean {
    const e = this.snap.e2ee;
    return !!this.opts.trustOnFirstUse && e.status === "unverified" && e.dtlsChecked && !!e.peerIdentity;
  }

  /** The owner sends K to the peer's session; a recipient takes a K it held back. */
  private async exchangeKey(): Promise<void> {
    const keys = this.opts.consultKeys;
    if (keys?.role === "owner" && this.hs) {
      // K goes only to a device verified now (PROTOCOL §3), under this session's pairwise key.
      const k = await keys.current();
      this.post(await this.hs.keyMessage(k));
      this.setE2ee({ consultKeyEpoch: k.epoch });
    } else if (this.heldKey) {
      const held = this.heldKey;
      this.heldKey = undefined;
      await this.receiveKey(held);
    }
  }

  /** Compares the DTLS peer's certificate (getStats) with the one in the verified hello. */
  private async checkDtls(peer: SimplePeer.Instance): Promise<void> {
    const expected = this.hs?.peer?.dtls;
    const pc = connectionOf(peer);
    if (!expected || !pc) return;
    const stats = await pc.getStats();
    let remote: string | undefined;
    stats.forEach((s: { type: string; remoteCertificateId?: string }) => {
      if (s.type === "transport" && s.remoteCertificateId) {
        const cert = stats.get(s.remoteCertificateId) as { fingerprint?: string; fingerprintAlgorithm?: string } | undefined;
        if (cert?.fingerprintAlgorithm?.toLowerCase() === "sha-256") remote = cert.fingerprint;
      }
    });
    if (remote === undefined) return; // this browser does not expose it: the SDP check stands alone
    if (!equal(parseDtlsFingerprint(remote), expected)) {
      this.dropPeer();
      this.hs?.wipe();
      this.set({ ...this.snap, state: "failed", problem: "certificate" });
      return;
    }
    this.setE2ee({ dtlsChecked: true });
    if (this.chainHead) this.sendChannel(this.chainHead);
    if (this.heldHead) {
      const held = this.heldHead;
      this.heldHead = undefined;
      this.opts.onChainHead?.(held);
    }
    await this.maybeVerified();
  }

  private sendFinalHead(): void {
    if (this.chainHead && this.snap.e2ee.dtlsChecked) this.sendChannel(this.chainHead);
  }

  // ---- the peer connection ----

  private async createPeer(): Promise<void> {
    this.dropPeer();
    const hs = this.hs;
    const remoteSid = this.remoteSid;
    if (!hs?.peer || !remoteSid) return;
    let rtcConfig: RTCConfiguration;
    try {
      rtcConfig = await this.opts.rtcConfig();
    } catch {
      this.fail("turn-unreachable");
      return;
    }
    if (this.hs !== hs || this.disposed) return;
    const peer = new SimplePeer({
      initiator: this.opts.initiator,
      config: { ...rtcConfig, certificates: [hs.certificate] },
      stream: this.local,
      trickle: true,
      // Receive both kinds even when this side has no camera or microphone.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
    });
    this.peer = peer;
    this.armTimeout();
    const mine = () => this.peer === peer;
    // Once this connection was up, ICE failing does not end it: recovery restarts ICE on it.
    keepThroughIceFailure(peer, () => mine() && this.peerUp);
    const recovery = new IceRecovery(this.opts.initiator ? "initiator" : "responder", {
      restartIce: (gen) => {
        const current = () => this.peer === peer && this.recovery === recovery && recovery.gen === gen;
        void this.opts
          .rtcConfig() // fresh TURN credentials when the old ones near expiry; the certificate stays
          .then((config) => (current() ? restartIce(peer, config.iceServers ?? [], current) : undefined))
          .catch(() => undefined); // the next attempt tries again
      },
      askRestart: (gen) => {
        if (mine()) this.post({ type: "ice-restart", sid: hs.sid, to: remoteSid, gen });
      },
      giveUp: () => {
        if (mine()) this.connectionLost();
      },
    });
    this.recovery = recovery;
    this.watchRelay(peer, rtcConfig);
    connectionOf(peer)?.addEventListener("icecandidate", (e: RTCPeerConnectionIceEvent) => {
      if (mine() && e.candidate?.candidate) recovery.localCandidate();
    });
    peer.on("signal", (data) => {
      if (mine()) this.post({ type: "rtc", sid: hs.sid, to: remoteSid, gen: recovery.gen, data: data as PeerSignal });
    });
    peer.on("stream", (stream: MediaStream) => {
      if (!mine()) return;
      this.snap = { ...this.snap, remoteStream: stream };
      this.update();
    });
    peer.on("connect", () => {
      if (!mine()) return;
      this.channelOpen = true;
      this.peerUp = true;
      if (this.screen) void this.sendTrack("video", this.screen); // a new connection after a drop: still sharing
      this.sendChannel(this.mediaMessage());
      this.update();
      this.watchStall(peer);
      this.enqueue(() => this.checkDtls(peer));
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
      else if (parsed.type === "chain-head") {
        // Trusted only once this connection is bound to the verified hello.
        if (this.snap.e2ee.dtlsChecked) this.opts.onChainHead?.(parsed);
        else this.heldHead = parsed;
      } else {
        this.snap = { ...this.snap, remoteMedia: { audio: parsed.audio, video: parsed.video, hasAudio: parsed.hasAudio, hasVideo: parsed.hasVideo } };
        this.update();
      }
    });
    peer.on("iceStateChange", (ice: RTCIceConnectionState) => {
      if (!mine()) return;
      if (ice === "disconnected") this.onIceDown(peer);
      // While media is stalled an ICE "connected" (the old pair, mid-restart) is not the call back:
      // the stall watch says so once bytes arrive again.
      else if ((ice === "connected" || ice === "completed") && !this.stalled) this.onIceUp();
      else if (ice === "failed") this.onIceFailed(peer);
    });
    // The channel closed without a bye: the connection broke (or the other side is starting over).
    peer.on("close", () => {
      if (mine()) this.connectionLost();
    });
    peer.on("error", () => {
      if (!mine()) return;
      if (this.wasUp()) this.connectionLost();
      else this.fail("peer-error");
    });
  }

  /**
   * A TURN server that refuses or does not answer shows up only as a missing candidate (simple-peer
   * reports nothing). When calls may only be relayed and gathering ends without a single local
   * candidate, say why at once rather than after the connect timeout.
   */
  private watchRelay(peer: SimplePeer.Instance, config: RTCConfiguration): void {
    const pc = connectionOf(peer);
    if (!pc) return;
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
      if (pc.iceGatheringState !== "complete" || this.peer !== peer || config.iceTransportPolicy !== "relay" || gathered > 0) return;
      if (this.recovering) this.connectionLost(); // the relay may be back for the next attempt
      else this.fail(refused ? "turn-refused" : "turn-unreachable");
    });
  }

  // ---- recovery ----

  /** The call had connected (now or before a drop this session is recovering from). */
  private wasUp(): boolean {
    return this.recovering || this.snap.state === "connected" || this.snap.state === "reconnecting";
  }

  /** The current connection's media is down, being brought back by ICE restarts (lib/rtc/recovery.ts). */
  private get iceDown(): boolean {
    return this.recovery?.isDown ?? false;
  }

  private showReconnecting(): void {
    if (this.snap.state === "connected") this.set({ ...this.snap, state: "reconnecting" });
  }

  /**
   * Media stalled or ICE disconnected on a connection that was up: the room says "reconnecting…",
   * and recovery restarts ICE on this connection (the initiator) or asks for it (the other side).
   */
  private onIceDown(peer: SimplePeer.Instance): void {
    if (this.peer !== peer || !this.peerUp) return;
    if (this.recovery?.dropped()) this.showReconnecting();
  }

  /**
   * ICE "failed". On a connection that was up it is recovered like a drop, on the same connection
   * (a restart revives a failed transport); recovery starts a new handshake only once ICE cannot
   * connect even with the network back on both sides. A connection that never came up is lost.
   */
  private onIceFailed(peer: SimplePeer.Instance): void {
    if (this.peer !== peer) return;
    if (this.peerUp && this.recovery) {
      if (this.recovery.iceFailed()) this.showReconnecting();
    } else this.connectionLost();
  }

  /**
   * Samples the bytes arriving from the other side (while it sends media): when they stop for
   * STALL_AFTER_MS, recovery starts as for ICE "disconnected", seconds before ICE says so; when
   * they flow again on a connected ICE transport, the call is back.
   */
  private watchStall(peer: SimplePeer.Instance): void {
    const pc = connectionOf(peer);
    if (!pc) return;
    const watch = new StallWatch();
    clearInterval(this.stallTimer);
    this.stallTimer = setInterval(() => {
      const m = this.snap.remoteMedia;
      if (this.peer !== peer || !this.channelOpen || !m || !(m.hasAudio || m.hasVideo)) {
        watch.reset();
        return;
      }
      void pc
        .getStats()
        .then((report) => {
          if (this.peer !== peer) return;
          const stalled = watch.sample(receivedBytes(report.values() as Iterable<Record<string, unknown> & { type: string }>), Date.now());
          if (stalled && !this.iceDown) {
            this.stalled = true;
            this.onIceDown(peer);
          } else if (!stalled && this.stalled && (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed")) {
            this.onIceUp();
          }
        })
        .catch(() => undefined);
    }, STALL_POLL_MS);
  }

  private onIceUp(): void {
    this.stalled = false;
    this.recovery?.back();
    this.update();
  }

  /**
   * The connection is gone without a goodbye (ICE restarts could not bring it back with the
   * network back, the channel closed, or it failed before it was ever up): drop the peer and start
   * a new handshake session, again and again with backoff (capped at 5 s) until the other side
   * answers or leaves. The other side does the same, or follows our new session's commit.
   */
  private connectionLost(): void {
    if (this.disposed) return;
    this.droppedSid = this.remoteSid ?? this.droppedSid;
    this.dropPeer();
    this.recovering = true;
    this.set({ ...this.snap, state: "reconnecting", problem: undefined });
    const delay = this.recoverAttempts === 0 ? 0 : Math.min(5_000, 250 * 2 ** this.recoverAttempts);
    this.recoverAttempts++;
    clearTimeout(this.recoverTimer);
    this.recoverTimer = setTimeout(() => this.enqueue(() => this.newSession(undefined)), delay);
  }

  private stopRecovering(): void {
    this.recovering = false;
    this.recoverAttempts = 0;
    clearTimeout(this.recoverTimer);
    this.recoverTimer = undefined;
  }

  /** Connected once the data channel is open and the other side's media (if it sends any) has arrived. */
  private update(): void {
    if (!this.channelOpen || this.snap.state === "failed" || this.snap.state === "ended") {
      this.emit();
      return;
    }
    const m = this.snap.remoteMedia;
    const expectsMedia = m === undefined || m.hasAudio || m.hasVideo;
    if ((!expectsMedia || this.snap.remoteStream) && !this.iceDown) {
      this.clearTimeout();
      this.stopRecovering();
      this.snap = { ...this.snap, state: "connected", problem: undefined };
    }
    this.emit();
  }

  private fail(problem: CallProblem): void {
    this.stopRecovering();
    this.dropPeer();
    this.set({ ...this.snap, state: "failed", problem });
  }

  private armTimeout(): void {
    this.clearTimeout();
    this.timer = setTimeout(
      () => {
        if (this.recovering) {
          if (this.snap.state === "reconnecting") this.connectionLost(); // this attempt did not make it: the next
        } else if (this.snap.state === "connecting") this.fail("timeout");
      },
      this.recovering ? RECOVERY_ATTEMPT_MS : (this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS),
    );
  }

  private clearTimeout(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dropPeer(): void {
    this.clearTimeout();
    this.recovery?.dispose();
    this.recovery = undefined;
    this.peerUp = false;
    this.stalled = false;
    clearInterval(this.stallTimer);
    this.stallTimer = undefined;
    const peer = this.peer;
    this.peer = undefined;
    this.channelOpen = false;
    this.snap = { state: this.snap.state, problem: this.snap.problem, e2ee: this.snap.e2ee };
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

  /**
   * Posts in order: each message goes out only after the previous one reached the log, so the
   * peer reads them in the order they were sent (a reveal never overtakes its commit).
   */
  private post(msg: CallMessage): void {
    this.sending = this.sending
      .then(() => this.opts.send(msg))
      .catch(() => {
        // A lost signal shows up as the connect timeout, which offers a retry.
      });
  }

  private setE2ee(patch: Partial<E2ee>): void {
    const e2ee = { ...this.snap.e2ee, ...patch };
    // The code is shown only once final (both hellos out and the peer's verified).
    if (this.hs?.complete && this.hs.peer && e2ee.code === undefined) e2ee.code = this.hs.peer.code.text;
    this.set({ ...this.snap, e2ee });
  }

  private set(s: CallSnapshot): void {
    this.snap = s;
    this.emit();
  }

  private emit(): void {
    this.opts.onChange(this.snap);
  }
}

