// The event stream resumes exactly, over HTTP against the real server (project pg): the doctor
// signals an admitted patient N times; the patient's stream is cut part-way, more signals are
// posted while it is down, and a reconnection with `Last-Event-ID` (as EventSource does) gets
// the rest. Every signal arrives exactly once and in order, ids strictly increase, and a fresh
// stream with `?after=<id>` (a reloaded page) resumes identically.
import { expect, test } from "@playwright/test";
import { z } from "zod";
import { admittedConsult, DEMO_DOCTOR, dispose, EventStream, getSnapshot, postSignal, projectBaseURL, signInStaff, type Actor, type ReceivedEvent } from "./support/api";

test.describe.configure({ mode: "serial" });

const N = 30;
/** signals posted while the first stream is open; it is cut once CUT_AFTER of them arrived */
const WHILE_OPEN = 15;
const CUT_AFTER = 5;
const POLL = { timeout: 10_000, intervals: [25, 50, 100] };

const testPayload = z.object({ n: z.number().int() });
type Received = { id: number; n: number; event: ReceivedEvent };

/** The test signals a stream carried, checked frame by frame. */
function signalsOf(stream: EventStream, from: string, to: string): Received[] {
  return stream
    .events()
    .filter((e) => e.data.kind === "signal" && e.data.type === "test")
    .map((e) => {
      expect(e.event, "SSE event name is the kind").toBe("signal");
      expect(e.id, "SSE id is the event's seq").toBe(e.data.seq);
      expect(e.data.from).toBe(from);
      expect(e.data.to).toBe(to);
      return { id: e.id, n: testPayload.parse(e.data.payload).n, event: e };
    });
}

function expectIncreasing(ids: number[], what: string) {
  for (let i = 1; i < ids.length; i++) expect(ids[i], `${what}: ids strictly increase (${ids.join(",")})`).toBeGreaterThan(ids[i - 1] ?? -Infinity);
}

/** Frames without an id are only stream control: `retry:`, comments (heartbeats), `event: revoked`. */
function expectOnlyKnownFrames(stream: EventStream) {
  for (const f of stream.frames) {
    if (f.id !== undefined) continue;
    const control = f.retry !== undefined || (f.comments.length > 0 && f.data === undefined) || f.event === "revoked";
    expect(control, `unexpected frame ${JSON.stringify(f)}`).toBe(true);
  }
}

let doctor: Actor | undefined;
let patient: Actor | undefined;

test.afterAll(async () => {
  await dispose(doctor, patient);
});

test("signals arrive exactly once and in order across a cut stream and a Last-Event-ID resume; ?after= resumes identically", async ({ playwright }, testInfo) => {
  const baseURL = projectBaseURL(testInfo.project.use.baseURL);
  doctor = await signInStaff(playwright, baseURL, DEMO_DOCTOR);
  const consult = await admittedConsult(playwright, doctor, "Sam Stream");
  patient = consult.patient;
  const { consultId, patientParticipantId: to, doctorParticipantId: from } = consult;
  const path = `/api/consults/${consultId}/events`;
  const doc = doctor;
  const signal = (n: number) => postSignal(doc, consultId, { to, type: "test", payload: { n } });
  const patientOnline = async () => (await getSnapshot(doc, consultId)).participants.find((p) => p.id === to)?.online;

  // 1. The patient's stream, open.
  const first = (await EventStream.open(patient, path)).stream;
  const streams = [first];
  try {
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream\b/);
    await expect.poll(() => first.frames.some((f) => f.retry !== undefined), { ...POLL, message: "a retry: line" }).toBe(true);
    await expect.poll(patientOnline, { ...POLL, message: "the stream marks the patient online" }).toBe(true);

    // 2. Signals while it is open; cut it once some have arrived, mid-way through the posting.
    const posting = (async () => {
      for (let n = 1; n <= WHILE_OPEN; n++) await signal(n);
    })();
    await expect.poll(() => signalsOf(first, from, to).length, { ...POLL, message: "signals on the first stream" }).toBeGreaterThanOrEqual(CUT_AFTER);
    await first.close();
    await posting;
    expect(first.failure).toBeUndefined();
    const before = signalsOf(first, from, to);
    const lastSeen = Math.max(...first.events().map((e) => e.id));
    expectIncreasing(
      first.events().map((e) => e.id),
      "first stream",
    );
    expectOnlyKnownFrames(first);

    // The server notices the cut (its presence goes offline) before anything else happens.
    await expect.poll(patientOnline, { ...POLL, message: "the cut stream marks the patient offline" }).toBe(false);

    // 3. Signals while disconnected.
    for (let n = WHILE_OPEN + 1; n <= N; n++) await signal(n);

    // 4. Reconnect as EventSource does: Last-Event-ID is the last id seen.
    const resumed = (await EventStream.open(patient, path, { "last-event-id": String(lastSeen) })).stream;
    streams.push(resumed);
    expect(resumed.status).toBe(200);
    await expect.poll(() => before.length + signalsOf(resumed, from, to).length, { ...POLL, message: "all signals after the resume" }).toBeGreaterThanOrEqual(N);
    const after = signalsOf(resumed, from, to);
    const resumedIds = resumed.events().map((e) => e.id);
    expect(resumedIds[0], "the resume starts after the last id seen").toBeGreaterThan(lastSeen);
    expectIncreasing(resumedIds, "resumed stream");
    expectOnlyKnownFrames(resumed);

    const all = [...before, ...after];
    expect(
      all.map((s) => s.n),
      "every signal exactly once, in order",
    ).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expectIncreasing(
      all.map((s) => s.id),
      "signals across both streams",
    );
    await resumed.close();

    // 5. A fresh page resumes from the same point with ?after=, and gets the very same signals.
    const fresh = (await EventStream.open(patient, `${path}?after=${lastSeen}`)).stream;
    streams.push(fresh);
    expect(fresh.status).toBe(200);
    await expect.poll(() => signalsOf(fresh, from, to).length, { ...POLL, message: "signals on the ?after= stream" }).toBeGreaterThanOrEqual(after.length);
    expect(signalsOf(fresh, from, to).map(({ id, n }) => ({ id, n }))).toEqual(after.map(({ id, n }) => ({ id, n })));
    expectIncreasing(
      fresh.events().map((e) => e.id),
      "?after= stream",
    );
    await fresh.close();

    // 6. EventSource reconnects to the page's ?after= URL with a Last-Event-ID: the header wins.
    const both = (await EventStream.open(patient, `${path}?after=0`, { "last-event-id": String(lastSeen) })).stream;
    streams.push(both);
    expect(both.status).toBe(200);
    await expect.poll(() => signalsOf(both, from, to).length, { ...POLL, message: "signals on the Last-Event-ID + ?after=0 stream" }).toBeGreaterThanOrEqual(after.length);
    expect(signalsOf(both, from, to).map(({ id, n }) => ({ id, n }))).toEqual(after.map(({ id, n }) => ({ id, n })));
    expect(both.events()[0]?.id ?? 0).toBeGreaterThan(lastSeen);
  } finally {
    await Promise.all(streams.map((s) => s.close()));
  }
  // Leave nothing streaming behind for the next spec.
  await expect.poll(patientOnline, { ...POLL, message: "all streams closed server-side" }).toBe(false);
});
