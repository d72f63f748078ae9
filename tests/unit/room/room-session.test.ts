// The room itself (lib/client/room/room-session.ts, event-stream.ts) over a fake EventSource and a
// fake consult API: each event goes to the session that needs it and changes the room; the stream
// reopens after the browser gives up (from the last event applied, a little later each time) and
// at once when the server ends it by plan; a revoked participant stops; a stale snapshot does not
// overwrite newer events; the doctor starts a new key epoch on a removal; actions say what failed.
import { describe, expect, it } from "vitest";
import { ClientApiError } from "@/lib/client/api";
import { RoomSession, type RoomApi } from "@/lib/client/room/room-session";
import type { OpenedName } from "@/lib/client/patient-names";
import type { CallStep } from "@/lib/rtc/call-timeline";
import type { ParticipantView, RoomSnapshot, StreamEvent } from "@/lib/shared/api";
import { FakeClock } from "./fakes/fake-clock";
import { FakeEventSources } from "./fakes/fake-event-source";

const consultId = crypto.randomUUID();
const doctor: ParticipantView = { id: crypto.randomUUID(), userId: crypto.randomUUID(), role: "doctor", state: "admitted", displayName: "Dr. Dana Demo", online: true };
const patient: ParticipantView = { id: crypto.randomUUID(), userId: crypto.randomUUID(), role: "patient", state: "admitted", displayName: "Pat Patient", online: true };
const invite = (state: "live" | "used") => ({ id: crypto.randomUUID(), url: "https://parley.test/join/x", expiresAt: new Date(0).toISOString(), state });
const tick = () => new Promise<void>((r) => setImmediate(r));

function snapshot(me: ParticipantView, lastSeq: number, participants: ParticipantView[] = [doctor, patient]): RoomSnapshot {
  return {
    userId: me.userId,
    consult: { id: consultId, status: "open", scheduledAt: new Date(0).toISOString(), doctorName: doctor.displayName },
    me,
    participants,
    lastSeq,
    invite: null,
    recordsKey: null,
  };
}

const event = (seq: number, kind: StreamEvent["kind"], type: string, payload: StreamEvent["payload"] = {}, from: string | null = null): StreamEvent => ({
  seq,
  kind,
  type,
  from,
  to: null,
  payload,
  at: new Date(0).toISOString(),
});
const admission = (seq: number, p: ParticipantView, state: ParticipantView["state"]) =>
  event(seq, "admission", state, { participantId: p.id, userId: p.userId, displayName: p.displayName, role: p.role, state });

class FakeRoomApi implements RoomApi {
  readonly calls: string[] = [];
  /** answered in order; none left: the request fails */
  readonly snapshots: RoomSnapshot[] = [];
  /** the next action fails with this */
  failure: Error | undefined;
  /** actions wait for this before answering */
  gate: Promise<void> = Promise.resolve();
  readonly newInviteAnswer = invite("live");

  snapshot = (_id: string) => {
    this.calls.push("snapshot");
    const s = this.snapshots.shift();
    return s ? Promise.resolve(s) : Promise.reject(new ClientApiError(0, "network", "offline"));
  };
  admit = (_id: string, participantId: string) => this.act(`admit ${participantId}`);
  end = (_id: string) => this.act("end");
  leave = (_id: string) => this.act("leave");
  rejoin = (_id: string) => this.act("rejoin");
  newInvite = async (_id: string) => (await this.act("newInvite"), this.newInviteAnswer);
  revokeInvite = (_id: string, inviteId: string) => this.act(`revoke ${inviteId}`);

  private async act(what: string): Promise<unknown> {
    this.calls.push(what);
    await this.gate;
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
    return {};
  }
}

/** The doctor's name keys, faked: a sealed name "sealed:<name>" opens to <name> where this device holds the consult's key. */
class FakeNames {
  holdsKey = true;
  readonly opened: string[] = [];
  open = (_userId: string, _consultId: string, p: { inviteId: string; sealedName: string }): Promise<OpenedName> => {
    this.opened.push(p.inviteId);
    return Promise.resolve().then(() => {
      if (!this.holdsKey) return { missing: "no-key" };
      const m = /^sealed:(.*)$/.exec(p.sealedName);
      return m?.[1] ? { name: m[1] } : { missing: "unreadable" };
    });
  };
}

function room(me: ParticipantView = doctor, lastSeq = 10, participants?: ParticipantView[]) {
  const clock = new FakeClock();
  const sources = new FakeEventSources();
  const api = new FakeRoomApi();
  const rotated: [string, string][] = [];
  const marks: CallStep[] = [];
  const names = new FakeNames();
  const fragments: string[] = [];
  const session = new RoomSession(snapshot(me, lastSeq, participants), {
    api,
    openEvents: sources.open,
    clock,
    rotateKey: (userId, id) => (rotated.push([userId, id]), Promise.resolve()),
    openName: names.open,
    linkFragment: (_u, _c, spki) => (fragments.push(String(spki.length)), Promise.resolve("n=key&f=anchor")),
    marks: (step) => marks.push(step),
  });
  const routed = { signals: [] as number[], chat: [] as number[], files: [] as number[] };
  session.signals.listen((e) => routed.signals.push(e.seq));
  session.chatEvents.listen((e) => routed.chat.push(e.seq));
  session.fileEvents.listen((e) => routed.files.push(e.seq));
  session.start();
  return { session, clock, sources, api, rotated, marks, routed, names, fragments, state: () => session.state() };
}

describe("the event stream", () => {
  it("opens from the snapshot's position and routes each event to the session that needs it", () => {
    const r = room();
    expect(r.sources.opened.map((s) => s.url)).toEqual([`/api/consults/${consultId}/events?after=10`]);
    expect(r.state().stream).toBe("connecting");
    r.sources.last.open();
    expect(r.state().stream).toBe("open");

    const s = r.sources.last;
    s.send(event(11, "signal", "offer", { sdp: "x" }, patient.id));
    s.send(event(12, "message", "new", {}, patient.id));
    s.send(event(13, "presence", "offline", { participantId: patient.id }, patient.id));
    s.send(event(14, "file", "ready", { id: crypto.randomUUID() }, patient.id));
    s.send(admission(15, patient, "left"));
    expect(r.routed).toEqual({ signals: [11], chat: [12, 13], files: [14] });
    expect(r.state().participants.find((p) => p.id === patient.id)).toMatchObject({ online: false, state: "left" });
  });

  it("applies each event once, and ignores what does not parse", () => {
    const r = room();
    const s = r.sources.last;
    s.send(event(10, "message", "new")); // the snapshot already has it
    s.send(event(11, "message", "new"));
    s.send(event(11, "message", "new"));
    s.raw("message", "{not json");
    s.raw("message", JSON.stringify({ seq: 12, kind: "message" }));
    expect(r.routed.chat).toEqual([11]);
  });

  it("waits while the browser retries by itself, and reopens a stream it gave up on after 1, 2, 4, 8, 10 s, from the last event applied", () => {
    const r = room();
    r.sources.last.open();
    r.sources.last.send(event(12, "message", "new"));
    r.sources.last.fail(false);
    expect(r.state().stream).toBe("reconnecting");
    expect(r.sources.opened).toHaveLength(1);

    for (const delay of [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]) {
      const before = r.sources.opened.length;
      r.sources.last.fail(true);
      expect(r.sources.opened.at(-1)?.closed).toBe(true);
      r.clock.advance(delay - 1);
      expect(r.sources.opened, `before ${delay} ms`).toHaveLength(before);
      r.clock.advance(1);
      expect(r.sources.opened).toHaveLength(before + 1);
      expect(r.sources.last.after).toBe(12);
    }
    r.sources.last.open();
    expect(r.state().stream).toBe("open");
    r.sources.last.fail(true);
    r.clock.advance(1_000); // a stream that opened starts the backoff again
    expect(r.sources.last.closed).toBe(false);
  });

  it("opens the next stream at once when the server ends one by plan, without showing reconnecting", () => {
    const r = room();
    r.sources.last.open();
    r.sources.last.send(event(17, "message", "new"));
    const first = r.sources.last;
    first.raw("reconnect", "");
    expect(first.closed).toBe(true);
    expect(r.sources.opened).toHaveLength(2);
    expect(r.sources.last.after).toBe(17);
    expect(r.state().stream).toBe("open");
  });

  it("stops for good when the participant's access is revoked", () => {
    const r = room(patient);
    r.sources.last.open();
    r.sources.last.raw("revoked", "");
    expect(r.state()).toMatchObject({ removed: true, stream: "closed" });
    expect(r.sources.last.closed).toBe(true);
    r.clock.advance(60_000);
    expect(r.sources.opened).toHaveLength(1);
    r.session.start(); // the page asks again: a removed participant's room stays closed
    expect(r.sources.opened).toHaveLength(1);
  });

  it("closes the stream when the consult ends or this participant is removed", () => {
    const ended = room(patient);
    ended.sources.last.send(event(11, "consult", "ended"));
    expect(ended.state()).toMatchObject({ status: "ended", stream: "closed" });
    const removed = room(patient);
    removed.sources.last.send(admission(11, patient, "removed"));
    expect(removed.state()).toMatchObject({ removed: true, stream: "closed" });
    expect(removed.sources.last.closed).toBe(true);
  });
});

describe("reloading the room", () => {
  it("ignores a snapshot older than the last event applied and asks again", async () => {
    const r = room();
    r.sources.last.open();
    const waiting: ParticipantView = { ...patient, id: crypto.randomUUID(), state: "waiting" };
    r.api.snapshots.push({ ...snapshot(doctor, 5, [doctor]), invite: invite("live") }, { ...snapshot(doctor, 20, [doctor, waiting]), invite: invite("used") });
    r.sources.last.send(admission(20, waiting, "waiting"));
    await tick();
    expect(r.api.calls).toEqual(["snapshot", "snapshot"]);
    expect(r.state().invite?.state).toBe("used");
    expect(r.state().participants.map((p) => p.id)).toEqual([doctor.id, waiting.id]);
  });

  it("keeps the room as the events made it when every snapshot is stale", async () => {
    const r = room();
    const waiting: ParticipantView = { ...patient, id: crypto.randomUUID(), state: "waiting" };
    r.api.snapshots.push(snapshot(doctor, 5, [doctor]), snapshot(doctor, 6, [doctor]), snapshot(doctor, 7, [doctor]), snapshot(doctor, 30, [doctor]));
    r.sources.last.send(admission(20, waiting, "waiting"));
    await tick();
    expect(r.api.calls).toEqual(["snapshot", "snapshot", "snapshot"]);
    expect(r.state().participants.map((p) => p.id)).toContain(waiting.id);
  });

  it("reloads the patient's room when the patient is admitted", async () => {
    const me: ParticipantView = { ...patient, state: "waiting" };
    const r = room(me);
    r.api.snapshots.push(snapshot({ ...me, state: "admitted" }, 11));
    r.sources.last.send(admission(11, me, "admitted"));
    expect(r.marks).toEqual(["admission-seen"]);
    await tick();
    expect(r.api.calls).toEqual(["snapshot"]);
    expect(r.state().me.state).toBe("admitted");
  });

  it("starts a new key epoch on the doctor's device when a participant is removed, and only there", async () => {
    const r = room(doctor);
    r.sources.last.send(admission(11, patient, "removed"));
    await tick();
    expect(r.rotated).toEqual([[doctor.userId, consultId]]);
    expect(r.state().participants.map((p) => p.id)).toEqual([doctor.id]);
    expect(r.api.calls).toEqual(["snapshot"]);

    const other: ParticipantView = { ...patient, id: crypto.randomUUID() };
    const p = room(patient);
    p.sources.last.send(admission(11, other, "removed"));
    await tick();
    expect(p.rotated).toEqual([]);
  });
});

describe("actions", () => {
  it("shows the room busy while an action runs", async () => {
    const r = room();
    let release = () => undefined as void;
    r.api.gate = new Promise<void>((ok) => (release = ok));
    const admitted = r.session.admit(patient.id);
    expect(r.state().busy).toBe(true);
    release();
    await admitted;
    expect(r.state()).toMatchObject({ busy: false, error: undefined });
    expect(r.api.calls).toEqual([`admit ${patient.id}`]);
  });

  it("shows the server's reason when an action is refused, something general otherwise, and clears it on the next action", async () => {
    const r = room();
    r.api.failure = new ClientApiError(409, "conflict", "This patient was already admitted.");
    await r.session.admit(patient.id);
    expect(r.state()).toMatchObject({ busy: false, error: "This patient was already admitted." });
    r.api.failure = new TypeError("x is undefined");
    await r.session.leave();
    expect(r.state().error).toBe("Something went wrong. Try again.");
    await r.session.rejoin();
    expect(r.state().error).toBeUndefined();
  });

  it("ends the consult: the room shows it ended and the stream closes", async () => {
    const r = room();
    r.sources.last.open();
    await r.session.end();
    expect(r.state()).toMatchObject({ status: "ended", stream: "closed", busy: false });
    expect(r.sources.last.closed).toBe(true);
  });

  it("removes a patient and starts a new key epoch in the same action; the removal's own event does not start another", async () => {
    const sealed: ParticipantView = { ...patient, inviteId: crypto.randomUUID() };
    const r = room(doctor, 10, [doctor, sealed]);
    await r.session.remove(sealed.id);
    expect(r.api.calls).toEqual([`revoke ${sealed.inviteId}`]);
    expect(r.rotated).toEqual([[doctor.userId, consultId]]);
    r.sources.last.send(admission(11, sealed, "removed"));
    await tick();
    expect(r.rotated).toHaveLength(1);
    expect(r.state().participants.map((p) => p.id)).toEqual([doctor.id]);
  });

  it("one new epoch even when the stream brings the removal before the request's answer", async () => {
    const sealed: ParticipantView = { ...patient, inviteId: crypto.randomUUID() };
    const r = room(doctor, 10, [doctor, sealed]);
    let answer = () => undefined as void;
    r.api.gate = new Promise<void>((ok) => (answer = ok));
    const removing = r.session.remove(sealed.id);
    r.sources.last.send(admission(11, sealed, "removed"));
    await tick();
    answer();
    await removing;
    expect(r.rotated).toHaveLength(1);
  });

  it("does not rotate when the removal was refused, and says why", async () => {
    const sealed: ParticipantView = { ...patient, inviteId: crypto.randomUUID() };
    const r = room(doctor, 10, [doctor, sealed]);
    r.api.failure = new ClientApiError(404, "not_found", "No such invite");
    await r.session.remove(sealed.id);
    expect(r.rotated).toEqual([]);
    expect(r.state().error).toBe("No such invite");
  });

  it("shows a new invite link", async () => {
    const r = room();
    await r.session.newInvite();
    expect(r.state().invite).toEqual(r.api.newInviteAnswer);
  });
});

describe("sealed patient names (PROTOCOL §6)", () => {
  const sealedPatient = (name: string, state: ParticipantView["state"] = "waiting"): ParticipantView => ({
    ...patient,
    id: crypto.randomUUID(),
    state,
    displayName: "Patient",
    inviteId: crypto.randomUUID(),
    sealedName: `sealed:${name}`,
  });

  it("the doctor's device opens each sealed name once and shows it, through later events too", async () => {
    const p = sealedPatient("Ana María Pérez");
    const r = room(doctor, 10, [doctor, p]);
    await tick();
    expect(r.state().participants.find((x) => x.id === p.id)?.displayName).toBe("Ana María Pérez");
    r.sources.last.send(admission(11, { ...p, displayName: "Patient" }, "admitted"));
    await tick();
    expect(r.state().participants.find((x) => x.id === p.id)).toMatchObject({ displayName: "Ana María Pérez", state: "admitted", inviteId: p.inviteId });
    expect(r.names.opened).toEqual([p.inviteId]);
  });

  it("says so where this device holds no name key, or the sealed name does not open", async () => {
    const a = sealedPatient("Ana");
    const r = room(doctor, 10, [doctor, a]);
    r.names.holdsKey = false;
    await tick();
    expect(r.state().participants.find((x) => x.id === a.id)?.displayName).toBe("Patient (name not on this device)");
    const b = { ...sealedPatient("x"), sealedName: "tampered" };
    const r2 = room(doctor, 10, [doctor, b]);
    await tick();
    expect(r2.state().participants.find((x) => x.id === b.id)?.displayName).toBe("Patient (name could not be read)");
  });

  it("a patient's device opens nothing and shows what the server says", async () => {
    const me = sealedPatient("Me", "admitted");
    const r = room(me, 10, [doctor, me]);
    await tick();
    expect(r.names.opened).toEqual([]);
    expect(r.state().me.displayName).toBe("Patient");
  });

  it("the doctor's invite link gets its fragment once the identity key is there; a patient's room makes none", async () => {
    const r = room(doctor);
    expect(r.state().linkFragment).toBeUndefined();
    r.session.setIdentity(new Uint8Array(91));
    await tick();
    expect(r.state().linkFragment).toBe("n=key&f=anchor");
    r.session.setIdentity(undefined);
    expect(r.state().linkFragment).toBeNull();
    const p = room(patient);
    p.session.setIdentity(new Uint8Array(91));
    await tick();
    expect(p.fragments).toEqual([]);
  });
});
