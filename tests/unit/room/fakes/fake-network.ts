// The network the fake simple-peers (./fake-peer.ts) live on: it makes them for each device's
// CallSession (PeerFactory), carries their events a moment later, pairs them, and has the
// controls that are not one connection's: ICE that cannot connect at all, a man in the middle
// whose certificate getStats() shows, a browser whose getStats() shows no remote certificate,
// getStats() or the connection opening held on one side.
import type SimplePeer from "simple-peer";
import type { PeerFactory } from "@/lib/rtc/peer-link";
import { randomFingerprint } from "./fake-certificate";
import type { FakePair } from "./fake-pair";
import { FakePeer } from "./fake-peer";

export class FakeNetwork {
  /** ICE checks pass: false keeps new and restarted connections from connecting (candidates still flow) */
  iceWorks = true;
  /** a man in the middle terminates DTLS: getStats() shows its certificate instead of the other side's */
  mitm = false;
  readonly mitmFingerprint = randomFingerprint();
  /** getStats() shows the remote certificate (false: a browser that does not) */
  certificateStats = true;
  readonly peers: FakePeer[] = [];
  readonly pairs: FakePair[] = [];
  /** events scheduled so far (settling waits for all of them) */
  scheduled = 0;
  private inFlight = 0;
  private gates: { which: (p: FakePeer) => boolean; gate: Promise<void> }[] = [];
  private readonly parked: FakePeer[] = [];
  private parkWaiters: { owner: string; resolve: () => void }[] = [];

  /** The PeerFactory one device's CallSession gets (`owner` names the device, for parkedFor). */
  factory(owner?: string): PeerFactory {
    return (opts) => new FakePeer(this, opts, owner) as unknown as SimplePeer.Instance;
  }

  /** Runs `fn` a moment later (a network hop, or the browser's next task). */
  later(fn: () => void): void {
    this.inFlight++;
    this.scheduled++;
    setImmediate(() => {
      this.inFlight--;
      fn();
    });
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** The newest pair of peers that took each other's offer and answer. */
  pair(): FakePair {
    const p = this.pairs.at(-1);
    if (!p) throw new Error("no two peers have connected yet");
    return p;
  }

  /** getStats() of the peers `which` picks (all by default) waits until the returned function is called. */
  holdStats(which: (p: FakePeer) => boolean = () => true): () => void {
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.gates.push({ which, gate });
    return () => {
      this.gates = this.gates.filter((g) => g.gate !== gate);
      release();
    };
  }

  /**
   * The peers `which` picks see the connection open (`stream`, `connect`) only when the returned
   * function is called: the other side is connected before them.
   */
  holdConnect(which: (p: FakePeer) => boolean): () => void {
    this.connectHeld = which;
    return () => {
      this.connectHeld = undefined;
      for (const p of this.pairs) p.openHeld();
    };
  }

  connectHeld: ((p: FakePeer) => boolean) | undefined;

  /** some getStats() are held */
  get holding(): boolean {
    return this.gates.length > 0;
  }

  async statsGate(p: FakePeer): Promise<void> {
    for (const g of this.gates) {
      if (!g.which(p)) continue;
      this.parked.push(p);
      for (const w of this.parkWaiters.filter((w) => w.owner === p.owner)) w.resolve();
      this.parkWaiters = this.parkWaiters.filter((w) => w.owner !== p.owner);
      await g.gate;
      this.parked.splice(this.parked.indexOf(p), 1);
    }
  }

  /** Resolves once a getStats() of `owner`'s peers waits at a gate (its call's chain may be blocked on it). */
  whenParked(owner: string): Promise<void> {
    if (this.parked.some((p) => p.owner === owner)) return Promise.resolve();
    return new Promise((resolve) => this.parkWaiters.push({ owner, resolve }));
  }

  /** ICE works again: pairs that were still checking connect. */
  heal(): void {
    this.iceWorks = true;
    for (const p of this.pairs) if (!p.everConnected && p.alive) this.later(() => p.connect());
  }

  byId(id: string | undefined): FakePeer | undefined {
    return this.peers.find((p) => p.id === id);
  }
}
