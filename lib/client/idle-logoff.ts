// Automatic logoff for staff (HIPAA 164.312(a)(2)(iii)), framework-free: the server ends a session
// IDLE_TIMEOUT_MINUTES after the last interaction the browser reported; this watcher reports
// interactions (at most every PING_EVERY, and all along a call in progress), warns a minute before
// the server's deadline, and leaves for the sign-in page when it passes. The deadline is counted
// from the last report the server acknowledged, so the page never believes in more time than the
// server gives.

export type IdleState = { phase: "active" } | { phase: "warning"; secondsLeft: number } | { phase: "ended" };

export type IdleDeps = {
  idleMs: number;
  now(): number;
  /** reports activity; resolves false when the session is already over */
  ping(): Promise<boolean>;
  callInProgress(): boolean;
  onChange(state: IdleState): void;
  onEnded(): void;
};

const WARN_MS = 60_000;
const PING_EVERY_MS = 30_000;

export class IdleWatcher {
  private acked: number;
  private lastPing = -Infinity;
  private inFlight = false;
  private state: IdleState = { phase: "active" };

  constructor(private readonly deps: IdleDeps) {
    this.acked = deps.now();
  }

  /** How long before the deadline the warning shows: a minute, or half the timeout if that is shorter. */
  get warnMs(): number {
    return Math.min(WARN_MS, this.deps.idleMs / 2);
  }

  private get pingEveryMs(): number {
    return Math.min(PING_EVERY_MS, this.deps.idleMs / 4);
  }

  /** Someone used the page. `now`: report it at once (the page opened, or "Stay signed in"). */
  interaction(now = false): void {
    if (this.state.phase === "ended") return;
    if (now || this.deps.now() - this.lastPing >= this.pingEveryMs) this.report();
  }

  /** Called every second: a call in progress counts as activity; the warning and the end are decided here. */
  tick(): void {
    if (this.state.phase === "ended") return;
    if (this.deps.callInProgress() && this.deps.now() - this.lastPing >= this.pingEveryMs) this.report();
    const left = this.acked + this.deps.idleMs - this.deps.now();
    if (left <= 0) return this.end();
    if (left <= this.warnMs) this.set({ phase: "warning", secondsLeft: Math.ceil(left / 1000) });
    else this.set({ phase: "active" });
  }

  private report(): void {
    if (this.inFlight) return;
    this.inFlight = true;
    const sent = this.deps.now();
    this.lastPing = sent;
    void this.deps.ping().then(
      (live) => {
        this.inFlight = false;
        if (!live) return this.end();
        this.acked = Math.max(this.acked, sent);
        this.tick();
      },
      () => {
        // A network error proves nothing either way: the deadline stays where the server last confirmed it.
        this.inFlight = false;
      },
    );
  }

  private end(): void {
    this.set({ phase: "ended" });
    this.deps.onEnded();
  }

  private set(next: IdleState): void {
    const same = next.phase === this.state.phase && (next.phase !== "warning" || (this.state.phase === "warning" && this.state.secondsLeft === next.secondsLeft));
    if (same) return;
    this.state = next;
    this.deps.onChange(next);
  }
}

/** Whether a call is in progress on this page (set by the call hook; read by the idle watcher). */
let callLive = false;
export const callInProgress = {
  set(live: boolean): void {
    callLive = live;
  },
  get(): boolean {
    return callLive;
  },
};
