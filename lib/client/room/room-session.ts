// The room itself, framework-free: the consult's state (the server's snapshot, then every event of
// the stream, lib/client/room/room-state.ts), the event stream, and the actions a doctor or a
// patient takes, each reporting its error as a sentence for people. It hands the events the other
// sessions need to them through typed channels: signals to the call, messages and presence to the
// chat, document states to the files. On the doctor's device it opens the patients' sealed names
// (PROTOCOL §6) and makes the invite link's fragment; everyone else sees "Patient".
import type { ParticipantView, RoomSnapshot, StreamEvent } from "@/lib/shared/api";
import { ClientApiError } from "../api";
import { consultActions } from "../consults";
import { rotateConsultKey } from "../consult-keys";
import { inviteLinkFragment, NAME_MISSING, openPatientName, type OpenedName } from "../patient-names";
import { Published } from "../store";
import { systemClock, type Clock } from "../clock";
import { performanceMarks, type CallMarks } from "@/lib/rtc/call-timeline";
import { Channel } from "./channel";
import { EventStream, browserEventSource, type OpenEventSource, type StreamStatus } from "./event-stream";
import { initialRoomState, roomReducer, type RoomState } from "./room-state";

type Invite = RoomSnapshot["invite"];

export type RoomApi = Pick<typeof consultActions, "snapshot" | "admit" | "end" | "leave" | "rejoin" | "newInvite" | "revokeInvite">;

export type RoomPorts = {
  api: RoomApi;
  openEvents: OpenEventSource;
  clock: Clock;
  /** a removed participant must not read what comes next: the owner starts a new key epoch */
  rotateKey(userId: string, consultId: string): Promise<unknown>;
  /** the doctor's device: opens a patient's sealed name with this consult's name key */
  openName(userId: string, consultId: string, p: { inviteId: string; sealedName: string }): Promise<OpenedName>;
  /** the doctor's device: the invite link's fragment (name key and identity anchor) */
  linkFragment(userId: string, consultId: string, identitySpki: Uint8Array): Promise<string>;
  marks: CallMarks;
};

export const browserRoomPorts: RoomPorts = {
  api: consultActions,
  openEvents: browserEventSource,
  clock: systemClock,
  rotateKey: rotateConsultKey,
  openName: openPatientName,
  linkFragment: inviteLinkFragment,
  marks: performanceMarks,
};

export type RoomView = RoomState & {
  invite: Invite;
  stream: StreamStatus;
  /**
   * The doctor's invite link's fragment (PROTOCOL §6): undefined while it is made, null when this
   * device cannot make one (no identity key), so the link goes without it.
   */
  linkFragment?: string | null;
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
  /** the doctor's device: patients' names, opened from their sealed names, by participant id */
  private readonly names = new Map<string, string>();
  private readonly opening = new Set<string>();
  /** participants whose removal this page already answered with a new key epoch */
  private readonly rotatedFor = new Set<string>();
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
    this.openNames(this.view.get().participants);
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
  /**
   * Removes a patient (withdraws the invite they joined with) and, in the same action, starts a new
   * key epoch: what is written from now on is sealed under a key the removed device never gets.
   */
  remove = (participantId: string) =>
    this.run(async () => {
      const p = this.view.get().participants.find((x) => x.id === participantId);
      if (!p?.inviteId) throw new ClientApiError(400, "invalid_input", "Only a patient who joined with an invite link can be removed.");
      // Marked first: the stream may bring the removal before the request's answer does.
      this.rotatedFor.add(participantId);
      try {
        await this.ports.api.revokeInvite(this.consultId, p.inviteId);
      } catch (err) {
        this.rotatedFor.delete(participantId);
        throw err;
      }
      await this.ports.rotateKey(this.snapshot.userId, this.consultId);
    });

  /** The doctor's device has its identity key (or has none): the invite link's fragment is made. */
  setIdentity(identitySpki: Uint8Array | undefined): void {
    if (this.snapshot.me.role !== "doctor") return;
    if (!identitySpki) return this.patch({ linkFragment: null });
    this.ports.linkFragment(this.snapshot.userId, this.consultId, identitySpki).then(
      (linkFragment) => this.patch({ linkFragment }),
      () => this.patch({ linkFragment: null }),
    );
  }
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
      // Another tab or device removed them (this page's own remove() has rotated already).
      if (participantId && !this.rotatedFor.has(participantId)) void this.ports.rotateKey(userId, this.consultId).catch(() => undefined);
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
    const next = { ...this.view.get(), ...p };
    if (p.participants) next.participants = p.participants.map((x) => this.named(x));
    this.view.publish(next);
    if (p.participants) this.openNames(next.participants);
  }

  /** A participant with the name this device shows for them. */
  private named(p: ParticipantView): ParticipantView {
    const name = this.names.get(p.id);
    return name ? { ...p, displayName: name } : p;
  }

  /** The doctor's device opens each sealed name once, and shows it when it has it. */
  private openNames(participants: ParticipantView[]): void {
    if (this.snapshot.me.role !== "doctor") return;
    for (const p of participants) {
      const { inviteId, sealedName } = p;
      if (!inviteId || !sealedName || this.names.has(p.id) || this.opening.has(p.id)) continue;
      this.opening.add(p.id);
      void this.ports.openName(this.snapshot.userId, this.consultId, { inviteId, sealedName }).then((opened) => {
        this.opening.delete(p.id);
        this.names.set(p.id, "name" in opened ? opened.name : NAME_MISSING[opened.missing]);
        this.patch({ participants: this.view.get().participants });
      });
    }
  }
}
