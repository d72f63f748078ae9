// A call between the doctor's device and the patient's (lib/rtc/call.ts with the real handshake,
// verification and peer link) as the people see it: joining in any order, a page reloading in
// the middle, the call code, both confirmations, and the consult key reaching the patient only
// once the call is verified. Over the fakes in ./fakes (see ./call-harness.ts).
import { describe, expect, it } from "vitest";
import { equal, toHex } from "@/lib/crypto";
import { CONNECT_TIMEOUT_MS } from "@/lib/rtc/call";
import { Consult, type Participant } from "./call-harness";

const hex = (b: Uint8Array | undefined) => toHex(b ?? new Uint8Array());

/** Both connected, showing one call code, each knowing the other's identity key. */
function expectConnected(c: Consult): string {
  expect(c.doctor.snap.state, "doctor").toBe("connected");
  expect(c.patient.snap.state, "patient").toBe("connected");
  const code = c.doctor.e2ee.code;
  expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
  expect(c.patient.e2ee.code).toBe(code);
  expect(hex(c.doctor.e2ee.peerIdentity)).toBe(hex(c.patient.device.keys.spki));
  expect(hex(c.patient.e2ee.peerIdentity)).toBe(hex(c.doctor.device.keys.spki));
  return code ?? "";
}

/** The handshake sessions a side started, in order (each new one posts a commit with a new sid). */
const sessions = (c: Consult, side: "doctor" | "patient") => [...new Set(c.log.ofType("commit", side).map((m) => m.sid))];

/** The consult key the patient's device holds is the doctor's (epoch and bytes). */
function expectPatientHoldsKey(c: Consult): void {
  expect(c.patient.received).toHaveLength(1);
  const [k] = c.patient.received;
  expect(k?.epoch).toBe(c.doctorKey.epoch);
  expect(equal(k?.key ?? new Uint8Array(), c.doctorKey.key)).toBe(true);
  expect(equal(k?.keyId ?? new Uint8Array(), c.doctorKey.keyId)).toBe(true);
  expect(c.patient.keyStore.role === "recipient" && c.patient.keyStore.ring.current()?.epoch).toBe(0);
}

function expectNoKeyGone(c: Consult): void {
  expect(c.log.ofType("key")).toEqual([]);
  expect(c.patient.received).toEqual([]);
  expect(c.doctor.e2ee.consultKeyEpoch).toBeUndefined();
  expect(c.patient.e2ee.consultKeyEpoch).toBeUndefined();
}

describe("joining", () => {
  const orders: Record<string, (c: Consult) => Promise<void>> = {
    "the doctor first": async (c) => {
      c.doctor.join();
      await c.settle();
      expect(c.doctor.snap.state).toBe("waiting");
      c.patient.join();
      await c.settle();
    },
    "the patient first": async (c) => {
      c.patient.join();
      await c.settle();
      expect(c.patient.snap.state).toBe("waiting");
      c.doctor.join();
      await c.settle();
    },
    "both at once (each commit posted before either reads)": async (c) => {
      c.log.auto = false;
      c.doctor.join();
      c.patient.join();
      await c.settle();
      expect(
        c.log
          .ofType("commit")
          .map((m) => m.from)
          .sort(),
      ).toEqual(["doctor", "patient"]);
      c.log.auto = true;
      await c.settle();
    },
    "both at once, the patient reading everything before the doctor reads anything": async (c) => {
      c.log.auto = false;
      c.doctor.join();
      c.patient.join();
      await c.settle();
      while (c.log.deliverNext("patient")) await c.settle();
      c.log.auto = true;
      await c.settle();
    },
  };

  it.each(Object.keys(orders))("%s: both connect and show the same call code, one session each", async (order) => {
    const c = await Consult.create();
    await orders[order]?.(c);
    expectConnected(c);
    expect(sessions(c, "doctor")).toHaveLength(1);
    expect(sessions(c, "patient")).toHaveLength(1);
    expect(c.log.ofType("reveal", "doctor")).toHaveLength(1);
    expect(c.log.ofType("reveal", "patient")).toHaveLength(1);
    expect(c.doctor.e2ee).toMatchObject({ status: "unverified", dtlsChecked: true, confirmedByMe: false, confirmedByPeer: false });
    expect(c.patient.e2ee).toMatchObject({ status: "unverified", dtlsChecked: true });
    expect(c.log.refused).toEqual([]);
  });

  it.each([
    ["patient", true],
    ["patient", false],
    ["doctor", true],
    ["doctor", false],
  ] as const)("the %s's page reloads mid-handshake (bye sent: %s): the new page connects with the same code on both", async (who, bye) => {
    const c = await Consult.create();
    c.doctor.join();
    await c.settle();
    c.log.auto = false;
    c.patient.join();
    await c.settle();
    // The doctor answers the patient's commit and reveals; the patient reveals back. Nothing more.
    while (c.log.deliverNext("doctor")) await c.settle();
    while (c.log.deliverNext("patient")) await c.settle();
    expect(c.patient.e2ee.code).toBeDefined();
    const reloading: Participant = c[who];
    const oldPage = reloading.session;
    reloading.reload({ bye });
    c.log.auto = true;
    await c.settle();
    expect(oldPage.snapshot).toMatchObject({ state: "ended", problem: "hung-up" });
    expectConnected(c);
    expect(sessions(c, who)).toHaveLength(2);
    // The other side started over once, for the new page.
    expect(sessions(c, who === "doctor" ? "patient" : "doctor")).toHaveLength(2);
  });
});

describe("a signal the server loses", () => {
  it("the doctor's offer never arrives: the connect timeout says so (not before), and Try again connects", async () => {
    const c = await Consult.create();
    c.doctor.join();
    await c.settle();
    c.log.auto = false;
    c.patient.join();
    const offered = () => c.log.ofType("rtc", "doctor").some((m) => m.data.type === "offer");
    while (!offered()) {
      c.log.deliverAll();
      await c.settle();
    }
    c.log.lose((_e, m) => m?.type === "rtc" && m.data.type === "offer");
    c.log.auto = true;
    await c.settle();
    await c.tick(CONNECT_TIMEOUT_MS - 1_000, 1_000);
    expect(c.doctor.snap.state).toBe("connecting");
    await c.tick(1_000);
    expect(c.doctor.snap).toMatchObject({ state: "failed", problem: "timeout" });
    expect(c.patient.snap.state).toBe("connecting"); // it never got an offer to time out on
    const firstCode = c.doctor.e2ee.code;
    c.doctor.session.retry();
    await c.settle();
    expect(expectConnected(c)).not.toBe(firstCode);
  });
});

describe("verification and the consult key", () => {
  it.each(["doctor", "patient"] as const)("both confirm (the %s first): verified on both, and the patient holds the doctor's key, not before", async (first) => {
    const c = await Consult.create();
    await c.connect();
    const [a, b] = first === "doctor" ? [c.doctor, c.patient] : [c.patient, c.doctor];
    a.session.confirm();
    await c.settle();
    expect(a.e2ee).toMatchObject({ status: "unverified", confirmedByMe: true, confirmedByPeer: false });
    expect(b.e2ee).toMatchObject({ status: "unverified", confirmedByMe: false, confirmedByPeer: true });
    expectNoKeyGone(c);
    b.session.confirm();
    await c.settle();
    for (const p of [c.doctor, c.patient]) {
      expect(p.e2ee, p.side).toMatchObject({ status: "verified", dtlsChecked: true, confirmedByMe: true, confirmedByPeer: true, consultKeyEpoch: 0 });
      expect(p.device.pins.pinned(p.device.userId, p.other.device.userId)?.verified, p.side).toBe(true);
    }
    expect(c.log.ofType("key", "doctor")).toHaveLength(1);
    expectPatientHoldsKey(c);
  });

  it("a key that reaches the patient before its own side is verified waits, unopened, until it is", async () => {
    const c = await Consult.create();
    const release = c.net.holdConnect((p) => !p.initiator); // the patient's side sees the connection open late
    await c.connect();
    expect(c.doctor.snap.state).toBe("connected");
    expect(c.patient.snap.state).toBe("connecting");
    await c.confirmBoth();
    expect(c.doctor.e2ee.status).toBe("verified");
    expect(c.log.ofType("key", "doctor")).toHaveLength(1);
    expect(c.patient.e2ee).toMatchObject({ status: "unverified", confirmedByMe: true, confirmedByPeer: true, dtlsChecked: false });
    expect(c.patient.received).toEqual([]);
    release();
    await c.settle();
    expect(c.patient.e2ee).toMatchObject({ status: "verified", dtlsChecked: true, consultKeyEpoch: 0 });
    expectPatientHoldsKey(c);
  });

  it("with trust on first use the key goes once the DTLS check passed, before anyone compares; the call says unverified", async () => {
    const c = await Consult.create({ trustOnFirstUse: true });
    await c.connect();
    for (const p of [c.doctor, c.patient]) expect(p.e2ee, p.side).toMatchObject({ status: "unverified", dtlsChecked: true, confirmedByMe: false, consultKeyEpoch: 0 });
    expect(c.log.ofType("confirm")).toEqual([]);
    expectPatientHoldsKey(c);
  });

  it("without trust on first use, a connected call that nobody compared gives the patient no key", async () => {
    const c = await Consult.create();
    await c.connect();
    await c.tick(30_000, 1_000);
    expectConnected(c);
    expectNoKeyGone(c);
  });

  it("a pair verified before confirms itself the next time, and the key goes again", async () => {
    const first = await Consult.create();
    await first.connect();
    await first.confirmBoth();
    const again = await Consult.create({ doctor: first.doctor.device, patient: first.patient.device });
    await again.connect();
    expectConnected(again);
    for (const p of [again.doctor, again.patient]) expect(p.e2ee, p.side).toMatchObject({ status: "verified", confirmedByMe: true, confirmedByPeer: true, dtlsChecked: true });
    expect(
      again.log
        .ofType("confirm")
        .map((m) => m.from)
        .sort(),
    ).toEqual(["doctor", "patient"]);
    expectPatientHoldsKey(again);
  });
});
