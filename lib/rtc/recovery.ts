// How a call that was up comes back after its network dropped: by ICE restarts on the same peer
// connection (so on the same verified DTLS session) for as long as that can still work, and by a
// new handshake only when ICE has really failed. Pure: the clock and the actions are passed in;
// lib/rtc/peer-link.ts feeds it the peer connection's events. The states and their timings are drawn
// in docs/architecture.md ("Recovery").
//
// An attempt is one ICE generation: the initiator restarts ICE and sends an offer tagged with the
// generation; the other side answers it and tags its candidates the same way. An attempt is
// *ready* once this side has a local candidate of it (its own network, or relay, is back), its
// offer/answer exchange is done (the server carries signals again) and a candidate of the other
// side's has arrived (the other side's network is back). Then ICE needs only its checks to pass:
// the budget for the whole recovery starts then, and not before, so a machine that is slow to
// gather, to relay signals or to run its checks is never cut short while the network is still
// down, and a network that stays down never makes the call start over (which would not help).
//
//   up ──(media stalls, ICE disconnected or failed, or the other side asks)──▶ down
//   down: an attempt at once (initiator: restart ICE; the other side: ask the initiator for one),
//     unless a restart the other side began is already under way
//     attempt not ready within its wait (2 s, then ×1.5 each time, at most 5 s) → the next attempt,
//       unless it got further during the wait (a slow machine): then it waits once more
//     attempt ready → the budget starts (once per drop); ICE failed in a ready attempt → the next one
//     media flows again on a connected ICE transport → up
//     the budget (10 s from the first ready attempt; the responder's, a backstop, 20 s) runs out →
//       give up: a new peer and handshake (the other side follows the new handshake's commit)

import { systemClock, type Clock } from "@/lib/client/clock";

export type RecoveryClock = Pick<Clock, "now" | "setTimeout" | "clearTimeout">;

export const realClock: RecoveryClock = systemClock;

export type RecoveryPort = {
  /** initiator: restart ICE and send a new offer tagged `gen` (an unanswered one is withdrawn) */
  restartIce(gen: number): void;
  /** the other side: ask the initiator for an ICE restart past generation `gen` */
  askRestart(gen: number): void;
  /** ICE has really failed (the budget ran out): drop this peer connection, start a new handshake */
  giveUp(): void;
};

export const RECOVERY_LIMITS = {
  /** how long the first attempt may take to become ready before the next replaces it */
  firstWaitMs: 2_000,
  /** each further attempt waits this much longer than the one before… */
  waitGrowth: 1.5,
  /** …up to this */
  maxWaitMs: 5_000,
  /** the initiator: from its first ready attempt of a drop to giving up, unless the call is back */
  budgetMs: 10_000,
  /**
   * the responder: the same, longer. Its attempts get ready before the initiator's (it has the
   * offer and the initiator's candidates first), and normally the initiator gives up first and
   * its new handshake takes the responder along; this is for an initiator that is gone.
   */
  responderBudgetMs: 20_000,
};
export type RecoveryLimits = typeof RECOVERY_LIMITS;

/** How far one ICE generation got on this side. */
type Generation = {
  gen: number;
  /** a local candidate of it was gathered */
  local: boolean;
  /** its offer/answer exchange is done on this side */
  described: boolean;
  /** a candidate of the other side's for it arrived */
  remote: boolean;
};

export type Role = "initiator" | "responder";

export class IceRecovery {
  /** the newest ICE generation (0: the peer connection's first negotiation, which connected) */
  private latest: Generation = { gen: 0, local: true, described: true, remote: true };
  /** the generation that last carried the call */
  private upGen = 0;
  private down = false;
  private attempts = 0;
  private waitTimer: unknown;
  private budgetTimer: unknown;
  private budgetFrom: number | undefined;
  private over = false;

  constructor(
    private readonly role: Role,
    private readonly port: RecoveryPort,
    private readonly clock: RecoveryClock = realClock,
    private readonly limits: RecoveryLimits = RECOVERY_LIMITS,
  ) {}

  /** The generation this side's signals belong to now. */
  get gen(): number {
    return this.latest.gen;
  }

  get isDown(): boolean {
    return this.down;
  }

  /** When the budget started (the first ready attempt of this drop). */
  get budgetStartedAt(): number | undefined {
    return this.budgetFrom;
  }

  /** The connection stopped carrying media: a stall, ICE disconnected or failed. Says whether it was up. */
  dropped(): boolean {
    if (this.over || this.down) return false;
    this.down = true;
    this.attempts = 0;
    this.budgetFrom = undefined;
    // A restart the other side began before this side noticed is the attempt to wait for.
    if (this.restartUnderWay() && !this.ready()) this.armWait();
    else this.nextAttempt();
    return true;
  }

  /** ICE reported failed: on a call that was up, a drop; in a ready attempt, that attempt failed. */
  iceFailed(): boolean {
    if (this.over) return false;
    if (!this.down) return this.dropped();
    // Before an attempt is ready this is the old generation's end, which is no news.
    if (this.restartUnderWay() && this.ready()) this.nextAttempt();
    return false;
  }

  /** Media flows again on a connected ICE transport. */
  back(): void {
    if (this.over) return;
    this.down = false;
    this.upGen = this.latest.gen;
    this.attempts = 0;
    this.budgetFrom = undefined;
    this.clock.clearTimeout(this.waitTimer);
    this.clock.clearTimeout(this.budgetTimer);
  }

  /**
   * Initiator: the other side asks for a restart past generation `gen` (it has seen no newer one
   * work). Says whether the call just went down because of it.
   */
  peerAsked(gen: number): boolean {
    if (this.over || this.role !== "initiator" || gen < this.latest.gen) return false; // a newer one is under way
    if (!this.down) return this.dropped();
    this.nextAttempt();
    return false;
  }

  /** Responder: an offer of generation `gen` arrived; says whether to apply it (not a stale one). */
  offer(gen: number): boolean {
    if (gen < this.latest.gen) return false;
    if (gen > this.latest.gen) {
      this.latest = { gen, local: false, described: true, remote: false };
      if (this.down) this.armWait();
    } else {
      this.latest.described = true;
    }
    this.progress();
    return true;
  }

  /** Initiator: an answer of generation `gen` arrived; says whether to apply it (not a stale one). */
  answer(gen: number): boolean {
    if (gen !== this.latest.gen) return false;
    this.latest.described = true;
    this.progress();
    return true;
  }

  /** A candidate of the other side's, of generation `gen`; says whether to apply it. */
  remoteCandidate(gen: number): boolean {
    if (gen !== this.latest.gen) return false;
    this.latest.remote = true;
    this.progress();
    return true;
  }

  /** This side gathered a local candidate (of the generation it is on now). */
  localCandidate(): void {
    this.latest.local = true;
    this.progress();
  }

  dispose(): void {
    this.over = true;
    this.clock.clearTimeout(this.waitTimer);
    this.clock.clearTimeout(this.budgetTimer);
  }

  private restartUnderWay(): boolean {
    return this.latest.gen > this.upGen;
  }

  private ready(): boolean {
    const g = this.latest;
    return g.local && g.described && g.remote;
  }

  private nextAttempt(): void {
    if (this.role === "initiator") {
      this.latest = { gen: this.latest.gen + 1, local: false, described: false, remote: false };
      this.armWait();
      this.port.restartIce(this.latest.gen);
    } else {
      // The attempt is the initiator's to make; its offer starts it (offer()).
      this.armWait();
      this.port.askRestart(this.latest.gen);
    }
  }

  /**
   * The current attempt gets a wait that grows with each one. Not ready by then, the next attempt
   * replaces it, unless it got further during the wait (a slow machine, not a dead network): then
   * it gets the same wait again.
   */
  private armWait(): void {
    const wait = Math.min(this.limits.maxWaitMs, this.limits.firstWaitMs * this.limits.waitGrowth ** this.attempts);
    this.attempts++;
    const expire = (gen: number, facts: number) => {
      if (this.over || !this.down || (this.restartUnderWay() && this.ready())) return;
      if (this.latest.gen === gen && this.facts() > facts) this.waitTimer = this.clock.setTimeout(() => expire(gen, this.facts()), wait);
      else this.nextAttempt();
    };
    this.clock.clearTimeout(this.waitTimer);
    const gen = this.latest.gen;
    const facts = this.facts();
    this.waitTimer = this.clock.setTimeout(() => expire(gen, facts), wait);
  }

  /** How many of the things that make an attempt ready it has. */
  private facts(): number {
    const g = this.latest;
    return Number(g.local) + Number(g.described) + Number(g.remote);
  }

  private progress(): void {
    if (!this.down || this.budgetFrom !== undefined || !this.restartUnderWay() || !this.ready()) return;
    // The network is back on both sides: from now on ICE has budgetMs to bring the call back.
    this.budgetFrom = this.clock.now();
    this.budgetTimer = this.clock.setTimeout(
      () => {
        if (this.over || !this.down) return;
        this.dispose();
        this.port.giveUp();
      },
      this.role === "initiator" ? this.limits.budgetMs : this.limits.responderBudgetMs,
    );
  }
}
