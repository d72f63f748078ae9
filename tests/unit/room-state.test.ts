// lib/client/room-state.ts: the room as a pure reducer over the snapshot and the event stream.
import { randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { initialRoomState, roomReducer, type RoomState } from "@/lib/client/room/room-state";
import type { ParticipantView, RoomSnapshot, StreamEvent } from "@/lib/shared/api";

const doctor: ParticipantView = { id: randomUUID(), userId: randomUUID(), role: "doctor", state: "admitted", displayName: "Dr. Dana Demo", online: true };
const patientId = randomUUID();

function snapshot(me: ParticipantView = doctor, participants: ParticipantView[] = [doctor]): RoomSnapshot {
  return {
    userId: randomUUID(),
    consult: { id: randomUUID(), status: "open", scheduledAt: new Date(0).toISOString(), doctorName: doctor.displayName },
    me,
    participants,
    lastSeq: 1,
    invite: null,
    recordsKey: null,
  };
}

let seq = 100;
function ev(kind: StreamEvent["kind"], type: string, payload: StreamEvent["payload"] = {}, from: string | null = null): StreamEvent {
  return { seq: ++seq, kind, type, from, to: null, payload, at: new Date().toISOString() };
}
const userIds = new Map<string, string>();
const userIdOf = (participantId: string) => userIds.get(participantId) ?? userIds.set(participantId, randomUUID()).get(participantId) ?? "";
const admission = (id: string, state: ParticipantView["state"], displayName = "Pat Patient", role: ParticipantView["role"] = "patient") =>
  ev("admission", state, { participantId: id, userId: userIdOf(id), displayName, role, state });

const apply = (s: RoomState, ...events: StreamEvent[]) => events.reduce((acc, event) => roomReducer(acc, { type: "event", event }), s);
const find = (s: RoomState, id: string) => s.participants.find((p) => p.id === id);

describe("roomReducer (doctor's view)", () => {
  const start = initialRoomState(snapshot());

  it("starts from the snapshot", () => {
    expect(start).toEqual({ status: "open", me: doctor, participants: [doctor], removed: false });
  });

  it("a patient enters the waiting room (shown online)", () => {
    const s = apply(start, admission(patientId, "waiting"));
    expect(find(s, patientId)).toEqual({ id: patientId, userId: userIdOf(patientId), role: "patient", state: "waiting", displayName: "Pat Patient", online: true });
    expect(s.participants).toHaveLength(2);
    expect(s.me).toBe(start.me);
  });

  it("admitted updates the same participant in place", () => {
    const s = apply(start, admission(patientId, "waiting"), admission(patientId, "admitted"));
    expect(s.participants).toHaveLength(2);
    expect(find(s, patientId)?.state).toBe("admitted");
    expect(find(s, patientId)?.online).toBe(true);
  });

  it("left keeps the participant, marked left", () => {
    const s = apply(start, admission(patientId, "waiting"), admission(patientId, "admitted"), admission(patientId, "left"));
    expect(find(s, patientId)?.state).toBe("left");
    expect(s.removed).toBe(false);
  });

  it("removed drops the participant; the doctor is not removed", () => {
    const s = apply(start, admission(patientId, "waiting"), admission(patientId, "removed"));
    expect(find(s, patientId)).toBeUndefined();
    expect(s.participants).toEqual([doctor]);
    expect(s.removed).toBe(false);
  });

  it("presence toggles online by the event's sender", () => {
    let s = apply(start, admission(patientId, "waiting"), admission(patientId, "admitted"));
    s = apply(s, ev("presence", "offline", { participantId: patientId }, patientId));
    expect(find(s, patientId)?.online).toBe(false);
    expect(find(s, doctor.id)?.online).toBe(true);
    s = apply(s, ev("presence", "online", { participantId: patientId }, patientId));
    expect(find(s, patientId)?.online).toBe(true);
    // An admission replay keeps the known presence instead of resetting it.
    s = apply(s, ev("presence", "offline", {}, patientId), admission(patientId, "admitted"));
    expect(find(s, patientId)?.online).toBe(false);
  });

  it("presence of an unknown participant changes nothing", () => {
    const s = apply(start, ev("presence", "online", {}, randomUUID()));
    expect(s.participants).toEqual(start.participants);
  });

  it("consult ended sets the status", () => {
    const s = apply(start, ev("consult", "ended", { status: "ended" }));
    expect(s.status).toBe("ended");
    expect(apply(start, ev("consult", "renamed")).status).toBe("open");
  });

  it("ignores signals, messages, files and malformed admission payloads", () => {
    const s = apply(
      start,
      ev("signal", "offer", { sdp: "x" }, doctor.id),
      ev("message", "new", { id: randomUUID() }),
      ev("file", "ready", { id: randomUUID() }),
      ev("admission", "waiting", { participantId: "not-a-uuid", displayName: "x", role: "patient", state: "waiting" }),
      ev("admission", "waiting", { participantId: randomUUID(), role: "patient" }),
      ev("admission", "waiting", null),
    );
    expect(s).toEqual(start);
  });

  it("is idempotent: every event applied twice gives the state of applying it once", () => {
    const events = [
      admission(patientId, "waiting"),
      ev("presence", "online", {}, patientId),
      admission(patientId, "admitted"),
      ev("presence", "offline", {}, patientId),
      admission(patientId, "left"),
      admission(patientId, "admitted"),
      ev("consult", "ended", { status: "ended" }),
    ];
    let once = start;
    let twice = start;
    for (const e of events) {
      once = apply(once, e);
      twice = apply(twice, e, e);
      expect(twice).toEqual(once);
    }
    expect(once.status).toBe("ended");
    expect(find(once, patientId)?.state).toBe("admitted");
  });

  it("a removed replay stays removed and removes nothing else", () => {
    const s = apply(start, admission(patientId, "waiting"), admission(patientId, "removed"), admission(patientId, "removed"));
    expect(s.participants).toEqual([doctor]);
  });

  it("a fresh snapshot replaces the state", () => {
    const pat: ParticipantView = { id: patientId, userId: randomUUID(), role: "patient", state: "admitted", displayName: "Pat", online: false };
    const s = roomReducer(apply(start, ev("consult", "ended")), { type: "snapshot", snapshot: snapshot(doctor, [doctor, pat]) });
    expect(s).toEqual({ status: "open", me: doctor, participants: [doctor, pat], removed: false });
  });
});

describe("roomReducer (patient's view)", () => {
  const me: ParticipantView = { id: patientId, userId: randomUUID(), role: "patient", state: "waiting", displayName: "Pat Patient", online: true };
  const start = initialRoomState(snapshot(me, [doctor, me]));

  it("being admitted moves me out of the waiting room", () => {
    const s = apply(start, admission(patientId, "admitted"));
    expect(s.me.state).toBe("admitted");
    expect(find(s, patientId)?.state).toBe("admitted");
    expect(s.removed).toBe(false);
  });

  it("being removed marks me removed (and stays so)", () => {
    const s = apply(start, admission(patientId, "removed"));
    expect(s.removed).toBe(true);
    expect(s.me.state).toBe("removed");
    expect(find(s, patientId)).toBeUndefined();
    const again = apply(s, admission(patientId, "removed"));
    expect(again.removed).toBe(true);
    expect(again).toEqual(s);
  });

  it("revoked (the stream's closing notice) marks me removed", () => {
    const s = apply(start, ev("admission", "revoked", {}));
    expect(s.removed).toBe(true);
    expect(apply(s, ev("admission", "revoked", {}))).toEqual(s);
  });

  it("removed survives a new snapshot", () => {
    const s = apply(start, ev("admission", "revoked", {}));
    expect(roomReducer(s, { type: "snapshot", snapshot: snapshot(me, [doctor, me]) }).removed).toBe(true);
  });

  it("someone else's removal does not remove me", () => {
    const other = randomUUID();
    const s = apply(start, admission(other, "waiting", "Other"), admission(other, "removed", "Other"));
    expect(s.removed).toBe(false);
    expect(s.me.state).toBe("waiting");
  });

  it("leaving and the consult ending", () => {
    const s = apply(start, admission(patientId, "admitted"), admission(patientId, "left"), ev("consult", "ended"));
    expect(s.me.state).toBe("left");
    expect(s.status).toBe("ended");
    expect(s.removed).toBe(false);
  });
});
