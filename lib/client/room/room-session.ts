// The room itself, framework-free: the consult's state (the server's snapshot, then every event of
// the stream, lib/client/room/room-state.ts), the event stream, and the actions a doctor or a
// patient takes, each reporting its error as a sentence for people. It hands the events the other
// sessions need to them through typed channels: signals to the call, messages and presence to the
// chat, document states to the files.
import type { RoomSnapshot, StreamEvent } from "@/lib/shared/api";
import { ClientApiError } from "../api";
import { consultActions } from "../consults";
import { rotateConsultKey } from "../consult-keys";
import { Published } from "../store";
import { systemClock, type Clock } from "../clock";
import { performanceMarks, type CallMarks } from "@/lib/rtc/call-timeline";
import { Channel } from "./channel";
import { EventStream, browserEventSource, type OpenEventSource, type StreamStatus } from "./event-stream";
import { initialRoomState, roomReducer, type RoomState } from "./room-state";

type Invite = RoomSnapshot["invite"];

export type RoomApi = Pick<typeof consultActions, "snapshot" | "admit" | "end" | "leave" | "rejoin" | "newInvite">;

export type RoomPorts = {
  api: RoomApi;
  openEvents: OpenEventSource;
  clock: Clock;
  /** a removed participant must not read what comes next: the owner starts a new key epoch */
  rotateKey(userId: string, consultId: string): Promise<unknown>;
  marks: CallMarks;
};

export const browserRoomPorts: RoomPorts = {
  api: consultActions,
  openEvents: browserEventSource,
  clock: systemClock,
  rotateKey: rotateConsultKey,
  marks: performanceMarks,
};

export type RoomView = RoomState & {
  invite: Invite;
  stream: StreamStatus;
  error?: string;
  busy: boolean;
};

export class RoomSession {
  /** call signals, for the call */
  readonly signals = new Channel<StreamEvent>();
  /** messages and presence, for the chat */
  readonly chatEvents = new Channel<StreamEvent>();
  /** document states, for the files */
  readonly fileEvents = new Channel<StreamEvent>();
  private readonly view: Published<RoomView>;
  private readonly stream: EventStream;
  /**
   * The newest log position this page has applied: a snapshot older than that is stale (it was
   * taken before an event that has already changed the room) and must not overwrite it.
   */
  private seen: number;
  readonly state: () => RoomView;
  readonly subscribe: (listener: () => void) => () => void;

  constructor(
    private readonly snapshot: RoomSnapshot,
    private readonly ports: RoomPorts = browserRoomPorts,
  ) {
    this.seen = snapshot.lastSeq;
    this.view = new Published<RoomView>({ ...initialRoomState(snapshot), invite: snapshot.invite, stream: "connecting", busy: false });
    this.state = this.view.get;
    this.subscribe = this.view.subscribe;
    this.stream = new EventStream({
      consultId: snapshot.consult.id,
      afterSeq: snapshot.lastSeq,
      onEvent: (e) => this.onEvent(e),
      onStatus: (stream) => this.patch({ stream }),
      open: ports.openEvents,
      clock: ports.clock,
    });
  }

  private get consultId(): string {
    return this.snapshot.consult.id;
  }

  /** Opens the event stream (while the room is live). */
  start(): void {
    if (this.live()) this.stream.start();
  }

  /** Closes the event stream (the page is going away; start() opens it again). */
  stop(): void {
    this.stream.stop();
  }

  admit = (participantId: string) => this.run(() => this.ports.api.admit(this.consultId, participantId));
  leave = () => this.run(() => this.ports.api.leave(this.consultId));
  rejoin = () => this.run(() => this.ports.api.rejoin(this.consultId));
  newInvite = () => this.run(async () => this.patch({ invite: await this.ports.api.newInvite(this.consultId) }));
  end = () =>
    this.run(async () => {
      await this.ports.api.end(this.consultId);
      this.apply({ seq: 0, kind: "consult", type: "ended", from: null, to: null, payload: {}, at: new Date(this.ports.clock.now()).toISOString() });
    });

  private onEvent(event: StreamEvent): void {
    this.seen = Math.max(this.seen, event.seq);
    if (event.kind === "signal") return this.signals.emit(event);
    if (event.kind === "message" || event.kind === "presence") this.chatEvents.emit(event);
    if (event.kind === "file") this.fileEvents.emit(event);
    this.apply(event);
    const { me, userId } = this.snapshot;
    if (event.kind !== "admission") return;
    const participantId = (event.payload as { participantId?: string }).participantId;
    if (event.type === "admitted") this.ports.marks("admission-seen");
    // When I am admitted, what I may see widens: reload the room.
    if (event.type === "admitted" && participantId === me.id) void this.refresh();
    if (event.type === "removed" && me.role === "doctor") {
      void this.ports.rotateKey(userId, this.consultId).catch(() => undefined);
      void this.refresh(); // the withdrawn link is no longer shown as usable
    }
    // A patient joining uses up the invite: the doctor's room shows the link's new state.
    if (event.type === "waiting" && me.role === "doctor") void this.refresh();
  }

  private async refresh(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = await this.ports.api.snapshot(this.consultId).catch(() => undefined);
      if (!s) return;
      if (s.lastSeq < this.seen) continue; // overtaken by the stream while in flight: ask again
      const next = roomReducer(this.view.get(), { type: "snapshot", snapshot: s });
      this.patch({ ...next, invite: s.invite });
      return;
    }
  }

  private apply(event: StreamEvent): void {
    this.patch(roomReducer(this.view.get(), { type: "event", event }));
    if (!this.live()) this.stream.stop();
  }

  private live(): boolean {
    const s = this.view.get();
    return s.status !== "ended" && s.status !== "cancelled" && !s.removed;
  }

  private async run(what: () => Promise<unknown>): Promise<void> {
    this.patch({ busy: true, error: undefined });
    try {
      await what();
    } catch (err) {
      this.patch({ error: err instanceof ClientApiError ? err.message : "Something went wrong. Try again." });
    } finally {
      this.patch({ busy: false });
    }
  }

  private patch(p: Partial<RoomView>): void {
    this.view.publish({ ...this.view.get(), ...p });
  }
}
