// One side of a 1:1 video call, over the consult's event log (lib/rtc/messages.ts). It joins two
// halves and owns the call's state: the verification (verification.ts: handshake, call code,
// consult key, chain heads, the SDP gate) and the peer link (call-link.ts, peer-link.ts:
// simple-peer, ICE recovery, stalls, TURN). Framework-free: the network, the clock, the certificate
// and the peer factory are passed in; lib/client/room/room-call.ts ties it to the room.
import { ProtocolError } from "@/lib/crypto";
import { systemClock, type Clock } from "@/lib/client/clock";
import type { CallMessage, ChainHeadMessage } from "./messages";
import type { Quality } from "./quality";
import { CallConnection } from "./call-connection";
import { Verification } from "./verification";
import { Redial } from "./redial";
import { CallMedia } from "./call-media";
import { performanceMarks, type CallMarks } from "./call-timeline";
import { INITIAL_CALL, type CallOptions, type CallSnapshot } from "./call-state";

export * from "./call-state";

export { CONNECT_TIMEOUT_MS, RECOVERY_ATTEMPT_MS } from "./redial";

export class CallSession {
  private readonly verify: Verification;
  private readonly clock: Clock;
  private readonly marks: CallMarks;
  /** the peer link of the current session */
  private readonly conn: CallConnection;
  /** the peer session this one is dealing with (from its commit, then its verified hello) */
  private remoteSid: string | undefined;
  /** the camera, microphone and shared screen this side sends */
  readonly media = new CallMedia(() => this.conn.current);
  private queue: Promise<void> = Promise.resolve();
  private sending: Promise<void> = Promise.resolve();
  private disposed = false;
  /** the call was up and is being brought back by new handshakes */
  private readonly redial: Redial;
  private snap: CallSnapshot = INITIAL_CALL;

  constructor(private readonly opts: CallOptions) {
    this.clock = opts.clock ?? systemClock;
    // A redial queued before a bye (or a retry, or a failure) stopped the recovery starts nothing.
    this.redial = new Redial(this.clock, () => this.enqueue(() => (this.redial.active ? this.newSession(undefined) : Promise.resolve())), opts.connectTimeoutMs);
    this.marks = opts.marks ?? performanceMarks;
    this.verify = new Verification({
      ...opts,
      marks: this.marks,
      post: (msg) => this.post(msg),
      sendChannel: (msg) => this.conn.current?.send(msg),
      onChange: (e2ee) => this.set({ ...this.snap, e2ee }),
    });
    this.conn = new CallConnection({
      opts,
      clock: this.clock,
      marks: this.marks,
      media: this.media,
      verify: this.verify,
      redial: this.redial,
      remoteSid: () => this.remoteSid,
      snapshot: () => this.snap,
      set: (snap, quiet) => (quiet ? void (this.snap = snap) : this.set(snap)),
      enqueue: (step) => this.enqueue(step),
      post: (msg) => this.post(msg),
      remoteLeft: () => this.remoteLeft(),
      disposed: () => this.disposed,
    });
  }

  get snapshot(): CallSnapshot {
    return this.snap;
  }

  /**
   * Local media is ready (or there is none): start this side's first handshake session; `seed` is
   * a peer commit heard before (the patient's, sent from the waiting room).
   */
  start(local: MediaStream | undefined, seed?: Extract<CallMessage, { type: "commit" }>): void {
    if (this.disposed) return;
    this.media.local = local;
    this.marks("call-start");
    // Seeded from the waiting room, the patient may since have gone (reloaded, closed the tab):
    // "waiting" until its session answers.
    this.enqueue(() => this.newSession(seed, true));
  }

  /** A message from the other participant, handled strictly in arrival order. */
  receive(msg: CallMessage): void {
    this.enqueue(() => this.handle(msg));
  }

  /** The person confirmed that both screens show the same call code. */
  confirm(): void {
    this.enqueue(() => this.verify.confirm());
  }

  /** The person says the codes differ: end the call, wipe the keys, tell the audit log. */
  mismatch(): void {
    this.enqueue(() => {
      this.verify.mismatch();
      this.dispose({ ...this.snap, state: "ended", problem: "mismatch" });
      return Promise.resolve();
    });
  }

  /** The person acknowledged that a known counterpart's key changed; the call stays unverified until compared. */
  acknowledgeKeyChange(): void {
    this.enqueue(() => this.verify.acknowledgeKeyChange());
  }

  /** The connection's quality now; undefined without a connection. */
  quality(): Promise<Quality | undefined> {
    return this.conn.current?.quality() ?? Promise.resolve(undefined);
  }

  /** This device's chat chain head changed: the peer hears it now (if connected) and at the end. */
  setChainHead(head: Omit<ChainHeadMessage, "type">): void {
    this.verify.setChainHead(head);
  }

  /** After a failure: a new session and a new attempt. */
  retry(): void {
    this.redial.stop();
    this.enqueue(() => this.newSession(undefined));
  }

  /** Leave the call: the other side is told at once. */
  hangUp(): void {
    this.pageHide((msg) => this.post(msg));
  }

  /** The page is going away (reload, tab closed): say bye without waiting for anything. */
  pageHide(sendNow: (msg: CallMessage) => void): void {
    if (this.disposed) return;
    this.verify.sendFinalHead();
    this.conn.current?.send({ type: "bye" });
    const hs = this.verify.session;
    if (hs) sendNow({ type: "bye", sid: hs.sid });
    this.dispose({ ...this.snap, state: "ended", problem: "hung-up" });
  }

  /** The other participant is gone from the consult (left, removed) without a bye. */
  remoteLeft(): void {
    if (this.disposed) return;
    this.redial.stop();
    this.conn.drop();
    this.remoteSid = undefined;
    this.verify.forgetPeer();
    this.set({ ...this.snap, state: "ended", problem: "peer-left" });
  }

  dispose(final?: CallSnapshot): void {
    if (this.disposed) return;
    this.redial.stop();
    this.conn.drop();
    this.verify.wipe();
    this.disposed = true;
    this.set(final ?? { ...this.snap, state: "ended" });
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.disposed ? undefined : step())).catch((err: unknown) => this.onError(err));
  }

  private onError(err: unknown): void {
    if (this.disposed) return;
    // A refused handshake message is an attack or a bug: never go on with that peer.
    this.conn.drop();
    this.verify.wipe();
    this.set({ ...this.snap, state: "failed", problem: err instanceof ProtocolError ? "handshake" : "peer-error" });
  }

  /** A new handshake session; `seed` is a peer commit that prompted it. */
  private async newSession(seed: Extract<CallMessage, { type: "commit" }> | undefined, heardEarly = false): Promise<void> {
    this.redial.cancelPending();
    this.conn.drop();
    this.remoteSid = seed?.sid;
    await this.verify.begin(seed);
    this.set({ state: this.redial.active ? "reconnecting" : seed && !heardEarly ? "connecting" : "waiting", e2ee: this.verify.state });
    // The connect timeout runs from the verified hello (see "reveal"). Waiting for the other
    // side's hello is not a connection failing: that side may be offline for a while (its event
    // stream cut, its page reloading) and the call goes on when it is back. While recovering, each
    // attempt still gets RECOVERY_ATTEMPT_MS before the next.
    if (this.redial.active) this.conn.armTimeout();
    if (seed) await this.offerEarly();
  }

  /**
   * The initiator starts its peer connection as soon as it knows the peer's session, before that
   * session's hello is verified (PROTOCOL §2.4: SDP may arrive before the hello is verified and is
   * held until then): its offer carries only its own certificate, bound in its own hello, and an
   * answer is taken only once checked against the peer's verified hello. ICE gathering and the
   * offer's trip then overlap the reveals instead of following them.
   */
  private async offerEarly(): Promise<void> {
    if (this.opts.initiator && !this.conn.current && this.remoteSid) await this.conn.open(false);
  }

  private async handle(msg: CallMessage): Promise<void> {
    const hs = this.verify.session;
    if (!hs) return;
    // A failed session's keys are wiped: only a new session of the peer (or its bye) changes it.
    if (this.snap.state === "failed" && msg.type !== "commit" && msg.type !== "bye") return;
    switch (msg.type) {
      case "commit": {
        const outcome = this.verify.onCommit(msg);
        if (outcome === "restart") {
          // The other side started over (a reload, or its connection broke before ours noticed).
          if (this.snap.state === "connected" || this.snap.state === "reconnecting") this.redial.follow();
          // Only the initiator's new session takes that commit as its peer at once; the responder's
          // waits for a commit posted after it. Seeded on both sides, each new session reveals to the
          // other's session that is already being replaced, and the two restart for ever.
          return this.newSession(this.opts.initiator ? msg : undefined);
        }
        if (outcome === "ignored") return;
        if (this.remoteSid !== msg.sid) {
          this.conn.drop();
          this.verify.dropHeld();
          this.remoteSid = msg.sid;
        }
        this.set({ ...this.snap, state: this.redial.active ? "reconnecting" : "connecting" });
        if (this.redial.active) this.conn.armTimeout();
        return this.offerEarly();
      }
      case "reveal": {
        const peer = await this.verify.onReveal(msg);
        if (!peer) return;
        this.remoteSid = peer.sid;
        if (this.snap.state === "waiting") this.set({ ...this.snap, state: "connecting" });
        // The connect timeout runs from here: waiting for the other side's hello is not a
        // connection failing (that side may be offline for a while, its page reloading).
        if (this.opts.initiator && this.conn.current) this.conn.armTimeout();
        else if (this.opts.initiator) await this.conn.open(true);
        for (const m of this.verify.takeHeld()) await this.handle(m);
        // Pinning reads and writes IndexedDB: the SDP is already on its way meanwhile.
        return this.verify.pinPeer(peer);
      }
      case "confirm":
        return this.verify.onConfirm(msg);
      case "key":
        return this.verify.onKey(msg);
      case "rtc": {
        const gate = this.verify.gate(msg, this.remoteSid);
        if (gate === "certificate") return this.conn.certificateFailed();
        if (gate !== "pass") return;
        if (!this.conn.current) {
          if (this.opts.initiator || msg.data.type !== "offer") return;
          await this.conn.open(true);
        }
        await this.conn.current?.signal(msg);
        return;
      }
      case "ice-restart":
        // The responder's side of the connection is down: restart ICE (recovery decides whether a
        // restart newer than the one it saw is already under way).
        if (this.opts.initiator && msg.to === hs.sid && msg.sid === this.remoteSid && this.conn.current?.peerAsked(msg.gen)) this.conn.showReconnecting();
        return;
      case "bye":
        // While recovering, a bye of the session that dropped may arrive after the channel closed.
        if (msg.sid === this.remoteSid || this.redial.isDropped(msg.sid)) this.remoteLeft();
        return;
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

  private set(s: CallSnapshot): void {
    this.snap = s;
    this.emit();
  }

  private emit(): void {
    this.opts.onChange(this.snap);
  }
}
