// The RTCPeerConnection a fake simple-peer holds (`_pc`): the parts lib/rtc/peer-link.ts and
// lib/rtc/peer-ice.ts touch — ICE/signaling/gathering states, events, configuration, ICE restart,
// rollback, senders — and getStats() from a report its peer builds. State changes call simple-peer's
// handlers (`_onIceStateChange`, `_onConnectionStateChange`) as the real connection's callbacks do.

export type FakeStats = Map<string, Record<string, unknown> & { id: string; type: string }>;

type Hooks = {
  /** simple-peer's oniceconnectionstatechange handler */
  iceStateChanged(): void;
  /** simple-peer's onconnectionstatechange handler */
  connectionStateChanged(): void;
  /** the stats report of this connection (once the network lets it through) */
  stats(): Promise<FakeStats>;
};

const CONNECTION_OF_ICE: Record<RTCIceConnectionState, RTCPeerConnectionState> = {
  new: "new",
  checking: "connecting",
  connected: "connected",
  completed: "connected",
  disconnected: "disconnected",
  failed: "failed",
  closed: "closed",
};

export class FakePeerConnection {
  iceConnectionState: RTCIceConnectionState = "new";
  iceGatheringState: RTCIceGatheringState = "new";
  connectionState: RTCPeerConnectionState = "new";
  signalingState: RTCSignalingState = "stable";
  /** every configuration set after the first (renewed TURN credentials) */
  readonly reconfigured: RTCConfiguration[] = [];
  /** how many times restartIce() was called */
  iceRestarts = 0;
  private restartPending = false;
  private config: RTCConfiguration;
  private readonly listeners = new Map<string, Set<(e: Event) => void>>();

  constructor(
    config: RTCConfiguration | undefined,
    private readonly hooks: Hooks,
  ) {
    this.config = { ...config };
  }

  addEventListener(type: string, fn: (e: Event) => void): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(fn);
    this.listeners.set(type, set);
  }

  removeEventListener(type: string, fn: (e: Event) => void): void {
    this.listeners.get(type)?.delete(fn);
  }

  dispatch(type: string, event: object): void {
    for (const fn of this.listeners.get(type) ?? []) fn(event as Event);
  }

  getConfiguration(): RTCConfiguration {
    return { ...this.config };
  }

  setConfiguration(config: RTCConfiguration): void {
    this.config = { ...config };
    this.reconfigured.push(this.config);
  }

  getSenders(): RTCRtpSender[] {
    return [];
  }

  setLocalDescription(d?: { type: RTCSdpType }): Promise<void> {
    if (d?.type === "rollback" && this.signalingState === "have-local-offer") this.signalingState = "stable";
    return Promise.resolve();
  }

  restartIce(): void {
    this.iceRestarts++;
    this.restartPending = true;
  }

  /** The next offer restarts ICE (new credentials): true once after restartIce(). */
  takeRestart(): boolean {
    const r = this.restartPending;
    this.restartPending = false;
    return r;
  }

  /** A Map-like report (what the code reads: values(), forEach, get); ./fake-network.ts can hold it. */
  getStats(): Promise<RTCStatsReport> {
    return this.hooks.stats();
  }

  /** ICE moves to `state` (and the connection state with it); simple-peer hears of it. */
  setIce(state: RTCIceConnectionState): void {
    if (this.signalingState === "closed") return;
    this.iceConnectionState = state;
    this.connectionState = CONNECTION_OF_ICE[state];
    this.dispatch("iceconnectionstatechange", {});
    this.hooks.iceStateChanged();
    this.dispatch("connectionstatechange", {});
    this.hooks.connectionStateChanged();
  }

  close(): void {
    this.signalingState = "closed";
    this.iceConnectionState = "closed";
    this.connectionState = "closed";
  }
}
