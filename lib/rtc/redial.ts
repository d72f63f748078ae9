// A call that was up and lost its connection without a goodbye comes back by new handshake
// sessions (lib/rtc/call.ts), one after another with backoff (capped at 5 s) until the other side
// answers or leaves. The other side does the same, or follows our new session's commit.
import type { Clock, TimerHandle } from "@/lib/client/clock";

export const CONNECT_TIMEOUT_MS = 20_000;
/** While recovering with new handshakes, an attempt that has not connected by then is given up for the next one. */
export const RECOVERY_ATTEMPT_MS = 10_000;

export class Redial {
  private attempts = 0;
  private timer: TimerHandle;
  private recovering = false;
  /** the peer session of the connection that dropped: its bye still means the person left */
  private droppedSid: string | undefined;
  private deadline: TimerHandle;

  constructor(
    private readonly clock: Clock,
    /** starts the next handshake session */
    private readonly next: () => void,
    /** from starting a peer connection to media flowing, the first time */
    private readonly connectTimeoutMs = CONNECT_TIMEOUT_MS,
  ) {}

  /** The call is being brought back (the room says "reconnecting…"). */
  get active(): boolean {
    return this.recovering;
  }

  /** The other side started over while the call was up: follow it, as a recovery. */
  follow(): void {
    this.recovering = true;
  }

  /** The connection to `remoteSid` is gone: the next session starts at once, later ones back off. */
  lost(remoteSid: string | undefined): void {
    this.droppedSid = remoteSid ?? this.droppedSid;
    this.recovering = true;
    const delay = this.attempts === 0 ? 0 : Math.min(5_000, 250 * 2 ** this.attempts);
    this.attempts++;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(this.next, delay);
  }

  /** A session started by other means supersedes the one waiting to start. */
  cancelPending(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The call is back, failed, or over. */
  stop(): void {
    this.recovering = false;
    this.attempts = 0;
    this.cancelPending();
  }

  /**
   * The current attempt's deadline: a first connection gets the connect timeout, an attempt while
   * recovering RECOVERY_ATTEMPT_MS. `expired` learns whether the call was recovering by then.
   */
  armDeadline(expired: (recovering: boolean) => void): void {
    this.clearDeadline();
    this.deadline = this.clock.setTimeout(() => expired(this.recovering), this.recovering ? RECOVERY_ATTEMPT_MS : this.connectTimeoutMs);
  }

  clearDeadline(): void {
    this.clock.clearTimeout(this.deadline);
  }

  /** A bye from the session whose connection dropped (it may come after the channel closed). */
  isDropped(sid: string): boolean {
    return this.recovering && sid === this.droppedSid;
  }
}
