// The peer-link half of a call (lib/rtc/call.ts): the one peer connection of the current handshake
// session (call-link.ts, peer-link.ts), what its events mean for the call's state (connected,
// reconnecting, failed), the DTLS check against the verified hello, and the attempt's deadline.
// It reaches the call only through `ConnectionHost`.
import type { Clock } from "@/lib/client/clock";
import type { CallMessage } from "./messages";
import type { PeerLink } from "./peer-link";
import type { Verification } from "./verification";
import type { Redial } from "./redial";
import type { CallMedia } from "./call-media";
import type { CallMarks } from "./call-timeline";
import { openCallLink, withLink } from "./call-link";
import type { CallOptions, CallProblem, CallSnapshot } from "./call-state";

/** What the connection sees of its call. */
export type ConnectionHost = {
  readonly opts: CallOptions;
  readonly clock: Clock;
  readonly marks: CallMarks;
  readonly media: CallMedia;
  readonly verify: Verification;
  readonly redial: Redial;
  /** the peer session the call is dealing with */
  remoteSid(): string | undefined;
  snapshot(): CallSnapshot;
  /** a new snapshot, shown to the room unless `quiet` */
  set(s: CallSnapshot, quiet?: boolean): void;
  /** runs a step in the call's order (after every message before it) */
  enqueue(step: () => Promise<void>): void;
  post(msg: CallMessage): void;
  /** the other side hung up */
  remoteLeft(): void;
  disposed(): boolean;
};

export class CallConnection {
  private link: PeerLink | undefined;

  constructor(private readonly host: ConnectionHost) {}

  get current(): PeerLink | undefined {
    return this.link;
  }

  /** A new peer connection for the current session; `deadline`: the peer's hello is verified, so the connect timeout runs from now. */
  async open(deadline: boolean): Promise<void> {
    const h = this.host;
    this.drop();
    const hs = h.verify.session;
    const remoteSid = h.remoteSid();
    if (!hs || !remoteSid) return;
    let config: RTCConfiguration;
    try {
      config = await h.opts.rtcConfig();
    } catch {
      this.fail("turn-unreachable");
      return;
    }
    if (h.verify.session !== hs || h.disposed()) return;
    const link: PeerLink = openCallLink({
      call: h.opts,
      hs,
      remoteSid,
      config,
      media: h.media,
      clock: h.clock,
      marks: h.marks,
      post: (m) => h.post(m),
      events: {
        stream: (stream) => {
          h.set({ ...h.snapshot(), remoteStream: stream }, true);
          this.update();
        },
        changed: () => this.update(),
        connected: () => {
          this.update();
          h.enqueue(() => this.checkDtls(link));
        },
        bye: () => h.remoteLeft(),
        chainHead: (head) => h.verify.peerChainHead(head),
        down: () => this.showReconnecting(),
        lost: () => this.lost(),
        error: () => (this.wasUp() ? this.lost() : this.fail("peer-error")),
        // while recovering, the relay may be back for the next attempt
        noRelay: (refused) => (h.redial.active ? this.lost() : this.fail(refused ? "turn-refused" : "turn-unreachable")),
      },
    });
    this.link = link;
    if (deadline || h.redial.active) this.armTimeout();
  }

  /** The verified peer's certificate was not the connection's: stop, never go on over it. */
  certificateFailed(): void {
    this.drop();
    this.host.verify.wipe();
    this.host.set({ ...this.host.snapshot(), state: "failed", problem: "certificate" });
  }

  showReconnecting(): void {
    const snap = this.host.snapshot();
    if (snap.state === "connected") this.host.set({ ...snap, state: "reconnecting" });
  }

  /**
   * The connection is gone without a goodbye (ICE restarts could not bring it back with the
   * network back, the channel closed, or it failed before it was ever up): new handshakes.
   */
  lost(): void {
    if (this.host.disposed()) return;
    this.host.redial.lost(this.host.remoteSid());
    this.drop();
    this.host.set({ ...this.host.snapshot(), state: "reconnecting", problem: undefined });
  }

  fail(problem: CallProblem): void {
    this.host.redial.stop();
    this.drop();
    this.host.set({ ...this.host.snapshot(), state: "failed", problem });
  }

  /** The attempt's deadline: a first connection that is not up by then failed; a recovery attempt makes way for the next. */
  armTimeout(): void {
    this.host.redial.armDeadline((recovering) => {
      const state = this.host.snapshot().state;
      if (!recovering && state === "connecting") this.fail("timeout");
      else if (recovering && state === "reconnecting") this.lost();
    });
  }

  /** No connection (a new session, a failure, the end): what the old one showed goes too. */
  drop(): void {
    this.host.redial.clearDeadline();
    this.link?.destroy();
    this.link = undefined;
    const { state, problem, e2ee } = this.host.snapshot();
    this.host.set({ state, problem, e2ee }, true);
  }

  /** Compares the DTLS peer's certificate (getStats) with the one in the verified hello. */
  private async checkDtls(link: PeerLink): Promise<void> {
    if (this.link !== link) return;
    if (!(await this.host.verify.onDtls(await link.remoteFingerprint()))) this.certificateFailed();
  }

  /** The call had connected (now or before a drop this session is recovering from). */
  private wasUp(): boolean {
    const state = this.host.snapshot().state;
    return this.host.redial.active || state === "connected" || state === "reconnecting";
  }

  /** The link's news: the other side's media, and whether the call is connected now. */
  private update(): void {
    const { snap, up } = withLink(this.host.snapshot(), this.link);
    if (up) {
      this.host.redial.clearDeadline();
      this.host.redial.stop();
    }
    this.host.set(snap);
  }
}
