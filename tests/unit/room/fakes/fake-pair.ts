// Two fake peers that took each other's offer and answer (lib/rtc/peer-link.ts sees one of them
// on each device), and the controls a test has over the path between them.
import type { FakeNetwork } from "./fake-network";
import type { FakePeer } from "./fake-peer";

export class FakePair {
  /** the ICE path carries packets */
  path: "checking" | "up" | "down" = "checking";
  everConnected = false;
  /** media packets arrive while the path is up (false: they stall, ICE does not notice) */
  media = true;
  /** data-channel messages sent while the path was down, carried once it is back (SCTP retransmits) */
  private queued: { to: FakePeer; bytes: Uint8Array }[] = [];
  private held: FakePeer[] = [];

  constructor(
    private readonly net: FakeNetwork,
    readonly initiator: FakePeer,
    readonly responder: FakePeer,
  ) {}

  get sides(): [FakePeer, FakePeer] {
    return [this.initiator, this.responder];
  }

  get alive(): boolean {
    return !this.initiator.destroyed && !this.responder.destroyed;
  }

  get mediaFlowing(): boolean {
    return this.path === "up" && this.media && this.alive;
  }

  other(p: FakePeer): FakePeer {
    return p === this.initiator ? this.responder : this.initiator;
  }

  /** ICE connects for the first time: each side gets the other's stream, then `connect`. */
  connect(): void {
    if (!this.alive || this.everConnected) return;
    this.everConnected = true;
    this.path = "up";
    for (const p of this.sides) p._pc.setIce("connected");
    for (const p of this.sides) {
      if (this.net.connectHeld?.(p)) this.held.push(p);
      else this.open(p);
    }
  }

  /** The sides whose `connect` was held see it now. */
  openHeld(): void {
    const held = this.held;
    this.held = [];
    for (const p of held) this.open(p);
  }

  private open(p: FakePeer): void {
    if (p.destroyed) return;
    const stream = p.remoteStreamOf(this.other(p));
    if (stream) p.emit("stream", stream);
    p.channelOpen = true;
    p.emit("connect");
  }

  /** The network goes away: ICE "disconnected" on both sides, no packets. */
  drop(): void {
    this.path = "down";
    for (const p of this.sides) p._pc.setIce("disconnected");
  }

  /** ICE "failed" on both sides (simple-peer would destroy itself; peer-ice.ts keeps a call that was up). */
  fail(): void {
    this.path = "down";
    for (const p of this.sides) p._pc.setIce("failed");
  }

  /** The path is back (by itself, or after an ICE restart): ICE "connected", packets flow. */
  restore(): void {
    if (!this.alive) return;
    this.path = "up";
    for (const p of this.sides) p._pc.setIce("connected");
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) this.deliver(q.to, q.bytes);
  }

  /** Media stops arriving (ICE still says connected), or flows again. */
  stallMedia(stalled = true): void {
    this.media = !stalled;
  }

  /** The data channel closes under both sides, without a goodbye. */
  closeChannel(): void {
    for (const p of this.sides) p.destroy();
  }

  /** A message on the data channel from `from` to the other side. */
  carry(from: FakePeer, bytes: Uint8Array): void {
    const to = this.other(from);
    if (this.path === "up") this.deliver(to, bytes);
    else this.queued.push({ to, bytes });
  }

  /** `by` closed its end: the other side's channel closes too, if the close can get there. */
  closedBy(by: FakePeer): void {
    const other = this.other(by);
    if (this.path === "up") this.net.later(() => other.destroy());
  }

  private deliver(to: FakePeer, bytes: Uint8Array): void {
    this.net.later(() => {
      if (!to.destroyed && to.channelOpen) to.emit("data", bytes);
    });
  }
}
