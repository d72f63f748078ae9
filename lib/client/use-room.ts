"use client";
// Ties the room together for the UI: state from the snapshot and the stream, and the actions a
// doctor or a patient can take, each reporting its error as a sentence for people.
import { useCallback, useReducer, useRef, useState } from "react";
import type { RoomSnapshot, StreamEvent } from "@/lib/shared/api";
import { consultActions } from "./consults";
import { ClientApiError } from "./api";
import { useEventStream } from "./event-stream";
import { initialRoomState, roomReducer } from "./room-state";
import type { SignalBus } from "./use-call";
import { rotateConsultKey } from "./consult-keys";

/**
 * `signals`: where the room's signal events go (the call, lib/client/use-call.ts); `chat`: where
 * message and presence events go (lib/client/chat/use-chat.ts).
 */
export function useRoom(snapshot: RoomSnapshot, signals?: SignalBus, chat?: SignalBus) {
  const consultId = snapshot.consult.id;
  const [state, dispatch] = useReducer(roomReducer, snapshot, initialRoomState);
  const [invite, setInvite] = useState(snapshot.invite);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  // The newest log position this page has applied: a snapshot older than that is stale (it was
  // taken before an event that has already changed the room) and must not overwrite it.
  const seen = useRef(snapshot.lastSeq);

  const refresh = useCallback(async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = await consultActions.snapshot(consultId).catch(() => undefined);
      if (!s) return;
      if (s.lastSeq < seen.current) continue; // overtaken by the stream while in flight: ask again
      dispatch({ type: "snapshot", snapshot: s });
      setInvite(s.invite);
      return;
    }
  }, [consultId]);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      seen.current = Math.max(seen.current, event.seq);
      if (event.kind === "signal") {
        signals?.emit(event);
        return;
      }
      if (event.kind === "message" || event.kind === "presence" || event.kind === "file") chat?.emit(event);
      dispatch({ type: "event", event });
      // When I am admitted, what I may see widens: reload the room.
      if (event.kind === "admission" && event.type === "admitted" && (event.payload as { participantId?: string }).participantId === snapshot.me.id) {
        void refresh();
      }
      // A removed participant must not read what comes next: the owner starts a new key epoch.
      if (event.kind === "admission" && event.type === "removed" && snapshot.me.role === "doctor") {
        void rotateConsultKey(snapshot.userId, consultId).catch(() => undefined);
        void refresh(); // the withdrawn link is no longer shown as usable
      }
      // A patient joining uses up the invite: the doctor's room shows the link's new state.
      if (event.kind === "admission" && event.type === "waiting" && snapshot.me.role === "doctor") void refresh();
    },
    [refresh, snapshot.me.id, snapshot.me.role, snapshot.userId, consultId, signals, chat],
  );

  const live = state.status !== "ended" && state.status !== "cancelled" && !state.removed;
  const stream = useEventStream(consultId, snapshot.lastSeq, onEvent, live);

  const run = useCallback(async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : "Something went wrong. Try again.");
    } finally {
      setBusy(false);
    }
  }, []);

  return {
    state,
    invite,
    stream,
    error,
    busy,
    admit: (participantId: string) => run(() => consultActions.admit(consultId, participantId)),
    end: () => run(async () => {
      await consultActions.end(consultId);
      dispatch({ type: "event", event: { seq: 0, kind: "consult", type: "ended", from: null, to: null, payload: {}, at: new Date().toISOString() } });
    }),
    leave: () => run(() => consultActions.leave(consultId)),
    rejoin: () => run(() => consultActions.rejoin(consultId)),
    newInvite: () => run(async () => setInvite(await consultActions.newInvite(consultId))),
  };
}
