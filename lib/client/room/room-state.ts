// The room's state as a pure reducer: the server's snapshot, then every event from the stream.
import type { ParticipantView, RoomSnapshot, StreamEvent } from "@/lib/shared/api";
import { participantView } from "@/lib/shared/api";

export type RoomState = {
  status: RoomSnapshot["consult"]["status"];
  me: ParticipantView;
  participants: ParticipantView[];
  /** the caller lost access (removed, invite revoked) */
  removed: boolean;
};

export function initialRoomState(s: RoomSnapshot): RoomState {
  return { status: s.consult.status, me: s.me, participants: s.participants, removed: false };
}

const admissionPayload = participantView.pick({ userId: true, displayName: true, role: true, state: true }).extend({ participantId: participantView.shape.id });

export function roomReducer(state: RoomState, action: { type: "event"; event: StreamEvent } | { type: "snapshot"; snapshot: RoomSnapshot }): RoomState {
  if (action.type === "snapshot") return { ...initialRoomState(action.snapshot), removed: state.removed };
  const e = action.event;
  switch (e.kind) {
    case "consult":
      return e.type === "ended" ? { ...state, status: "ended" } : state;
    case "admission": {
      if (e.type === "revoked") return { ...state, removed: true };
      const p = admissionPayload.safeParse(e.payload);
      if (!p.success) return state;
      const { participantId, ...rest } = p.data;
      const existing = state.participants.find((x) => x.id === participantId);
      // An event names only what it changes: the invite and sealed name of a known participant stay.
      const next: ParticipantView = { ...existing, id: participantId, online: existing?.online ?? rest.state === "waiting", ...rest };
      const participants =
        rest.state === "removed"
          ? state.participants.filter((x) => x.id !== participantId)
          : existing
            ? state.participants.map((x) => (x.id === participantId ? next : x))
            : [...state.participants, next];
      const isMe = participantId === state.me.id;
      return { ...state, participants, me: isMe ? { ...state.me, state: rest.state } : state.me, removed: state.removed || (isMe && rest.state === "removed") };
    }
    case "presence": {
      const online = e.type !== "offline"; // "away": the page is open but hidden
      return { ...state, participants: state.participants.map((x) => (x.id === e.from ? { ...x, online } : x)) };
    }
    default:
      return state;
  }
}
