// The call in the room: a CallSession (lib/rtc/call.ts) whenever both people are in the consult,
// this device has its identity and local media is settled; a new one when any of these changes.
// It feeds the session the other participant's signals, posts its messages as signals, keeps the
// person's mute and camera choices, samples the connection's quality, and carries the chat's
// chain head to every session (the current one and the next).
import type { ClientSettings } from "@/lib/shared/settings";
import { CallSession, INITIAL_CALL, type CallOptions, type CallSnapshot } from "@/lib/rtc/call";
import type { Quality } from "@/lib/rtc/quality";
import { Handshake, type DeviceKeys } from "@/lib/rtc/handshake";
import { parseCallMessage, toSignal, type CallMessage, type ChainHeadMessage } from "@/lib/rtc/messages";
import type { StreamEvent } from "@/lib/shared/api";
import { trustFor } from "../device-identity";
import { ownerKeyFor, rotateConsultKey, storeReceivedKey } from "../consult-keys";
import { consultActions, signalOnUnload } from "../consults";
import { Published } from "../store";
import { systemClock, type Clock, type TimerHandle } from "../clock";
import type { Channel } from "./channel";
import { iceConfigFor } from "./ice-config";

const QUALITY_EVERY_MS = 2_000;
/** Signals kept while no session exists yet (the other side's first commit often comes first). */
const EARLY_SIGNALS = 64;

export type CallInput = {
  /** the other person in the call, when both are in the consult */
  other: { id: string; userId: string } | undefined;
  /** this device's identity, registered (no call without it: nothing is sent unencrypted) */
  keys: DeviceKeys | undefined;
  local: { stream?: MediaStream; settled: boolean };
  /** in the waiting room: the doctor this patient's first commit goes to before admission */
  waitingFor?: string;
};

export type CallView = {
  snapshot: CallSnapshot;
  muted: boolean;
  cameraOff: boolean;
  /** the connection's quality (undefined before the first sample or without a connection) */
  quality?: Quality;
};

/** How a call session is made: the real one, or one with fakes in unit tests. */
export type CallFactory = (opts: CallOptions) => CallSession;

export type RoomCallOptions = {
  consultId: string;
  userId: string;
  /** the doctor's device creates the offer and owns the consult key */
  initiator: boolean;
  settings: ClientSettings;
  signals: Channel<StreamEvent>;
  /** the peer's chat chain head arrived over the data channel */
  onChainHead(head: ChainHeadMessage): void;
  /** a call is up or coming back (idle logoff counts it as activity) */
  onLive?(live: boolean): void;
  newCall?: CallFactory;
  clock?: Clock;
};

export class RoomCall {
  private readonly view = new Published<CallView>({ snapshot: INITIAL_CALL, muted: false, cameraOff: false });
  private readonly clock: Clock;
  private session: CallSession | undefined;
  private stopListening: (() => void) | undefined;
  /** signals that arrived before this side's session started, replayed to it */
  private early: StreamEvent[] = [];
  /** the first session's handshake, made while waiting for the other person */
  private prepared: { keys: DeviceKeys; handshake: Promise<Handshake>; committedTo?: string } | undefined;
  private input: CallInput = { other: undefined, keys: undefined, local: { settled: false } };
  private hadOther = false;
  /** this device's chat chain head, handed to every call session */
  private myHead: Omit<ChainHeadMessage, "type"> | undefined;
  private qualityTimer: TimerHandle;
  private live = false;
  readonly state = this.view.get;
  readonly subscribe = this.view.subscribe;

  constructor(private readonly o: RoomCallOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** The room changed: a new session when the other person, the keys or the local media did. */
  update(next: CallInput): void {
    const prev = this.input;
    this.input = next;
    this.listen();
    if (
      prev.other?.id === next.other?.id &&
      prev.other?.userId === next.other?.userId &&
      prev.keys === next.keys &&
      prev.local.settled === next.local.settled &&
      prev.local.stream === next.local.stream &&
      prev.waitingFor === next.waitingFor
    )
      return;
    this.end();
    const { other, keys, local } = next;
    if (!other || !local.settled || !keys) {
      if (keys && local.settled) this.prepare(keys, next.waitingFor);
      // The other person left the consult without a bye (closed the tab while offline, removed).
      if (this.hadOther && !other) this.show({ snapshot: { ...INITIAL_CALL, state: "ended", problem: "peer-left" } });
      return;
    }
    this.hadOther = true;
    this.session = this.begin(other, keys, local.stream);
  }

  toggleMute = (): void => {
    const muted = !this.view.get().muted;
    this.session?.media.setEnabled("audio", !muted);
    this.show({ muted });
  };

  toggleCamera = (): void => {
    const cameraOff = !this.view.get().cameraOff;
    this.session?.media.setEnabled("video", !cameraOff);
    this.show({ cameraOff });
  };

  retry = (): void => this.session?.retry();
  replaceTrack = (kind: "audio" | "video", track: MediaStreamTrack): Promise<void> => this.session?.media.replaceTrack(kind, track) ?? Promise.resolve();
  shareScreen = (track: MediaStreamTrack | undefined): void => this.session?.media.shareScreen(track);
  confirm = (): void => this.session?.confirm();
  mismatch = (): void => this.session?.mismatch();
  acknowledgeKeyChange = (): void => this.session?.acknowledgeKeyChange();
  hangUp = (): void => this.session?.hangUp();

  /** This device's chat chain head changed. */
  setChainHead = (head: Omit<ChainHeadMessage, "type">): void => {
    this.myHead = head;
    this.session?.setChainHead(head);
  };

  /** The page is going away: say bye with a request the browser finishes after the page is gone. */
  pageHide(): void {
    const other = this.input.other;
    if (other) this.session?.pageHide((msg) => signalOnUnload(this.o.consultId, { to: other.id, ...toSignal(msg) }));
  }

  dispose(): void {
    this.end();
    this.stopListening?.();
    this.stopListening = undefined;
    this.early = [];
    this.setLive(false);
  }

  private begin(other: { id: string; userId: string }, keys: DeviceKeys, stream: MediaStream | undefined): CallSession {
    const { consultId, userId, initiator, settings } = this.o;
    const ice = iceConfigFor(consultId, settings);
    ice.current().catch(() => undefined); // early; a failure is retried when the peer needs it
    const opts: CallOptions = {
      initiator,
      consultId,
      keys,
      trust: trustFor(userId, other.userId, { consultId, role: initiator ? "patient" : "doctor" }),
      consultKeys: initiator
        ? { role: "owner", forPeer: (peer, onTrust) => ownerKeyFor(userId, consultId, peer, onTrust), rotate: () => rotateConsultKey(userId, consultId) }
        : { role: "recipient", receive: (k, provisional) => storeReceivedKey(userId, consultId, k, provisional) },
      rtcConfig: () => ice.current(),
      onReport: (report) => void consultActions.reportE2ee(consultId, report).catch(() => undefined),
      send: async (msg: CallMessage) => {
        await consultActions.signal(consultId, { to: other.id, ...toSignal(msg) });
      },
      onChange: (snapshot) => {
        if (this.session === call) this.onSnapshot(snapshot);
      },
      trustOnFirstUse: settings.trustOnFirstUse,
      onChainHead: (h) => this.o.onChainHead(h),
      clock: this.clock,
      prepared: this.prepared?.keys === keys ? this.prepared.handshake : undefined,
    };
    this.prepared = undefined;
    const call: CallSession = (this.o.newCall ?? ((o) => new CallSession(o)))(opts);
    this.session = call;
    if (this.myHead) call.setChainHead(this.myHead);
    const early = this.early.filter((e) => e.from === other.id);
    this.early = [];
    // The doctor's device answers the commit the patient sent from the waiting room, if it heard
    // one, at once: its first session reveals and offers without waiting for a commit round.
    const seedAt = initiator ? early.findLastIndex((e) => e.type === "commit") : -1;
    const heard = early[seedAt];
    const seed = heard ? parseCallMessage("commit", heard.payload) : undefined;
    call.start(stream, seed?.type === "commit" ? seed : undefined);
    for (const e of early.slice(seedAt + 1)) this.deliver(call, e);
    return call;
  }

  /** One listener for the room's signals: to the session, or kept until there is one. */
  private listen(): void {
    this.stopListening ??= this.o.signals.listen((e) => {
      const call = this.session;
      if (call && e.from === this.input.other?.id) this.deliver(call, e);
      else if (!call) this.early = [...this.early, e].slice(-EARLY_SIGNALS);
    });
  }

  private deliver(call: CallSession, e: StreamEvent): void {
    const msg = parseCallMessage(e.type, e.payload);
    if (msg) call.receive(msg);
  }

  /**
   * Makes the first session's keys, certificate and commitment now, not at the admission; a patient
   * in the waiting room also sends the doctor that commitment (the session sends it again when it
   * starts, for a doctor's device that was not listening).
   */
  private prepare(keys: DeviceKeys, waitingFor: string | undefined): void {
    if (this.prepared?.keys !== keys) {
      const handshake = Handshake.create(keys, this.o.consultId);
      handshake.catch(() => undefined); // made again when the session starts
      this.prepared = { keys, handshake };
    }
    const prepared = this.prepared;
    if (!waitingFor || prepared.committedTo === waitingFor) return;
    prepared.committedTo = waitingFor;
    void prepared.handshake
      .then((hs) => (this.prepared === prepared ? consultActions.signal(this.o.consultId, { to: waitingFor, ...toSignal(hs.commitMessage(false)) }) : undefined))
      .catch(() => undefined);
  }

  private end(): void {
    // Disposed while still current: the room shows its end until the next session starts.
    this.session?.dispose();
    this.session = undefined;
  }

  private onSnapshot(snapshot: CallSnapshot): void {
    this.show({ snapshot });
    this.setLive(snapshot.state === "connected" || snapshot.state === "reconnecting");
  }

  /** Connection quality every 2 s while a connection exists. */
  private setLive(live: boolean): void {
    if (live === this.live) return;
    this.live = live;
    this.o.onLive?.(live);
    this.clock.clearInterval(this.qualityTimer);
    if (!live) return this.show({ quality: undefined });
    this.qualityTimer = this.clock.setInterval(() => {
      void this.session
        ?.quality()
        .then((quality) => this.show({ quality }))
        .catch(() => undefined);
    }, QUALITY_EVERY_MS);
  }

  private show(patch: Partial<CallView>): void {
    this.view.publish({ ...this.view.get(), ...patch });
  }
}
