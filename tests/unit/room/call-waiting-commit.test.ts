// The patient's handshake commitment sent from the waiting room (lib/client/room/room-call.ts
// `prepare`): the patient's first session's Handshake is made ahead (CallOptions.prepared) and its
// commit posted to the doctor before admission; the doctor's device starts its first session
// seeded with it (CallSession.start(local, seed)), so it answers with a commit marked `reply`,
// reveals and offers at once, without waiting for a commit round. At admission the patient's
// session posts that commit again, a duplicate the doctor ignores. Over the fakes in ./fakes
// (see ./call-harness.ts).
import { describe, expect, it } from "vitest";
import { Handshake } from "@/lib/rtc/handshake";
import type { CallMessage } from "@/lib/rtc/messages";
import { Consult, Participant } from "./call-harness";
import type { Side } from "./fakes/fake-log";

type Commit = Extract<CallMessage, { type: "commit" }>;

const sessions = (c: Consult, side: Side) => [...new Set(c.log.ofType("commit", side).map((m) => m.sid))];

/** Both connected, showing one call code. */
function expectConnected(c: Consult): void {
  expect(c.doctor.snap.state, "doctor").toBe("connected");
  expect(c.patient.snap.state, "patient").toBe("connected");
  expect(c.doctor.e2ee.code).toMatch(/^\d{4} \d{4} \d{4}$/);
  expect(c.patient.e2ee.code).toBe(c.doctor.e2ee.code);
  expect(c.log.refused).toEqual([]);
}

/** The patient's device makes its first session's handshake ahead, as the waiting room does. */
async function prepareHandshake(c: Consult): Promise<Handshake> {
  return Handshake.create(c.patient.device.keys, c.consultId, c.certs.newCertificate);
}

/** The patient's pages use `hs` for their first session (CallOptions.prepared); before any page opened. */
function usePrepared(c: Consult, hs: Handshake): void {
  const p = c.patient;
  if (p.pages.length > 0) throw new Error("the patient's page is already open");
  c.patient = new Participant(c, "patient", p.device, p.keyStore, { prepared: Promise.resolve(hs) }, true);
}

/**
 * The patient in the waiting room: its page is open (its room keeps what arrives for a call that
 * has not started, handed over once it starts: delivery is by hand until then) and it posts the
 * commitment of `hs` to the doctor. Returns that commit as the doctor's device heard it.
 */
function waitInRoom(c: Consult, hs: Handshake): Commit {
  c.log.auto = false;
  c.patient.open();
  c.log.post("patient", hs.commitMessage(false));
  const heard = c.log.ofType("commit", "patient").at(-1);
  if (!heard) throw new Error("the waiting room's commit is not on the log");
  const { from: _from, at: _at, ...seed } = heard;
  return seed;
}

/** The doctor admits the patient: its page opens after the waiting room's commit and starts seeded with it. */
async function doctorStartsSeeded(c: Consult, seed: Commit): Promise<void> {
  c.doctor.open().start(c.doctor.local, seed);
  await c.settle();
}

/** The patient's call starts (admitted) and hears what arrived meanwhile. */
async function patientStarts(c: Consult): Promise<void> {
  c.patient.session.start(c.patient.local);
  c.log.auto = true;
  await c.settle();
}

describe("the patient's commit from the waiting room", () => {
  it("seeds the doctor's first session: one commit from the doctor (a reply), its reveal and offer before the patient's call starts, and the call connects", async () => {
    const c = await Consult.create();
    const hs = await prepareHandshake(c);
    usePrepared(c, hs);
    const seed = waitInRoom(c, hs);
    expect(seed).toMatchObject({ sid: hs.sid, reply: false });

    await doctorStartsSeeded(c, seed);
    // The doctor answered the seed at once, without a commit round: commit (a reply), reveal, offer.
    expect(c.patient.marks).toEqual([]); // the patient's call has not started
    expect(c.doctor.marks).toEqual(expect.arrayContaining(["call-start", "commit", "reveal", "offer"]));
    // The seed may be a page that has gone since (a reload in the waiting room): "waiting" until
    // the patient's session answers.
    expect(c.doctor.snap.state).toBe("waiting");
    const early = c.log.messages("doctor");
    // (then its ICE candidates, for the patient's session too)
    expect(early.slice(0, 3).map((m) => (m.type === "rtc" ? `rtc:${m.data.type}` : m.type))).toEqual(["commit", "reveal", "rtc:offer"]);
    expect(early[0]).toMatchObject({ type: "commit", reply: true });
    expect(c.log.ofType("reveal", "doctor").map((m) => m.to)).toEqual([hs.sid]);
    expect(new Set(c.log.ofType("rtc", "doctor").map((m) => m.to))).toEqual(new Set([hs.sid]));

    await patientStarts(c);
    expectConnected(c);
    // The patient's session is the prepared one: it posted the same commit again, which the doctor ignored.
    expect(c.log.ofType("commit", "patient").map((m) => [m.sid, m.c, m.reply])).toEqual([
      [hs.sid, seed.c, false],
      [hs.sid, seed.c, false],
    ]);
    expect(c.log.ofType("commit", "doctor").map((m) => m.reply)).toEqual([true]);
    expect(sessions(c, "doctor")).toHaveLength(1);
    expect(c.log.ofType("reveal", "doctor")).toHaveLength(1);
    expect(c.log.ofType("reveal", "patient").map((m) => m.to)).toEqual(sessions(c, "doctor"));
    expect(c.log.ofType("rtc", "doctor").filter((m) => m.data.type === "offer")).toHaveLength(1);
  });

  it("a stale seed (the patient's call starts with another handshake): the doctor starts over on the new commit and the call connects", async () => {
    const c = await Consult.create();
    const stale = await prepareHandshake(c);
    const seed = waitInRoom(c, stale); // the patient's page does not use `stale`: its call makes a fresh handshake
    await doctorStartsSeeded(c, seed);
    expect(c.log.ofType("reveal", "doctor").map((m) => m.to)).toEqual([stale.sid]);

    await patientStarts(c);
    expectConnected(c);
    const patientSessions = sessions(c, "patient");
    expect(patientSessions[0]).toBe(stale.sid); // only the waiting room's commit
    const current = c.patient.session["verify"].session?.sid;
    expect(current).toBeDefined();
    expect(current).not.toBe(stale.sid);
    // The doctor restarted: its session now is one that revealed to the patient's current session.
    expect(sessions(c, "doctor").length).toBeGreaterThan(1);
    const doctorNow = c.doctor.session["verify"].session?.sid;
    expect(c.log.ofType("reveal", "doctor").filter((m) => m.sid === doctorNow && m.to === current)).toHaveLength(1);
    expect(c.log.ofType("reveal", "patient").filter((m) => m.sid === current && m.to === doctorNow)).toHaveLength(1);
    expect(c.patient.pages).toHaveLength(1);
  });

  it("without a seed (the doctor joins first, the patient later) the doctor's first commit is not a reply, and it offers only after the patient's commit", async () => {
    const c = await Consult.create();
    c.doctor.join();
    await c.settle();
    expect(c.log.ofType("commit", "doctor").map((m) => m.reply)).toEqual([false]);
    expect(c.doctor.marks).not.toContain("offer");
    expect(c.log.ofType("rtc", "doctor")).toEqual([]);
    c.patient.join();
    await c.settle();
    expectConnected(c);
    expect(c.log.ofType("commit", "doctor").map((m) => m.reply)).toEqual([false, true]);
  });
});
