// Issue 20, items 1 and 2: which consult key goes to whom (lib/rtc/verification.ts with the rules
// of lib/client/key-handover.ts). A key sent on trust is provisional and replaced once the codes
// are compared; "the codes differ" starts a new epoch; an acknowledged key change is never trusted
// on first use; and a new identity in the consult never gets an epoch someone else had.
import { describe, expect, it } from "vitest";
import { equal } from "@/lib/crypto";
import { Consult, newDevice } from "./call-harness";

const epochs = (c: Consult) => c.patient.received.map((k) => k.epoch);

describe("trust on first use: a provisional key", () => {
  it("goes on trust as provisional, and a comparison replaces it with a new epoch for both", async () => {
    const c = await Consult.create({ trustOnFirstUse: true });
    await c.connect();
    expect(epochs(c)).toEqual([0]);
    expect(c.patient.keyStore.role === "recipient" && c.patient.keyStore.provisional).toEqual([true]);
    expect(c.doctor.e2ee).toMatchObject({ consultKeyEpoch: 0, consultKeyProvisional: true });
    expect(c.patient.e2ee).toMatchObject({ status: "unverified", consultKeyEpoch: 0, consultKeyProvisional: true });
    // The audit trail hears it from the doctor's device (the key's sender), not the patient's.
    expect(c.doctor.reports).toEqual(["keys_sent_on_trust"]);
    expect(c.patient.reports).toEqual([]);

    await c.confirmBoth();
    expect(c.doctor.reports).toEqual(["keys_sent_on_trust", "verified"]);
    expect(c.patient.reports).toEqual(["verified"]);
    for (const p of [c.doctor, c.patient]) expect(p.e2ee, p.side).toMatchObject({ status: "verified", consultKeyEpoch: 1, consultKeyProvisional: false });
    expect(epochs(c)).toEqual([0, 1]);
    expect(c.patient.keyStore.role === "recipient" && c.patient.keyStore.provisional).toEqual([true, false]);
    // What the server (or whoever held epoch 0) could open is not what is sealed from now on.
    const [first, second] = c.patient.received;
    expect(first && second && equal(first.key, second.key)).toBe(false);
    expect(c.doctorKey.epoch).toBe(1);
  });

  it("a call compared from the start sends one key, not provisional", async () => {
    const c = await Consult.create();
    await c.connect();
    await c.confirmBoth();
    expect(epochs(c)).toEqual([0]);
    expect(c.patient.keyStore.role === "recipient" && c.patient.keyStore.provisional).toEqual([false]);
    expect(c.doctor.e2ee.consultKeyProvisional).toBe(false);
    expect([c.doctor.reports, c.patient.reports]).toEqual([["verified"], ["verified"]]);
  });
});

describe("a mismatch starts a new epoch", () => {
  it.each([false, true])("trust on first use %s: the doctor's device writes under a new epoch after 'the codes differ'", async (trustOnFirstUse) => {
    const c = await Consult.create({ trustOnFirstUse });
    await c.connect();
    const before = c.doctorKey.epoch;
    c.doctor.session.mismatch();
    await c.settle();
    expect(c.doctorKey.epoch).toBe(before + 1);
    expect(c.doctor.e2ee).toMatchObject({ status: "mismatch", consultKeyEpoch: before + 1, consultKeyProvisional: false });
    // The new epoch went nowhere.
    expect(c.patient.received.map((k) => k.epoch)).not.toContain(before + 1);
  });
});

describe("an acknowledged key change is compared before any key goes", () => {
  it("with trust on first use on, acknowledging and even a reload of the same new key send nothing until the codes are compared", async () => {
    const first = await Consult.create({ trustOnFirstUse: true });
    await first.connect();
    await first.confirmBoth();
    const c = await Consult.create({ trustOnFirstUse: true, doctor: first.doctor.device, patient: await newDevice(first.patient.device.userId) });
    await c.connect();
    expect(c.doctor.e2ee.status).toBe("key-changed");
    c.doctor.session.acknowledgeKeyChange();
    await c.tick(5_000, 1_000);
    expect(c.doctor.e2ee.status).toBe("unverified");
    expect(c.log.ofType("key")).toEqual([]);
    expect(c.doctor.reports).toEqual(["key_change_acknowledged"]);
    c.patient.reload();
    await c.tick(5_000, 1_000);
    expect(c.log.ofType("key")).toEqual([]);
    expect(c.patient.received).toEqual([]);
    await c.confirmBoth();
    expect(c.doctor.e2ee.status).toBe("verified");
    expect(c.patient.received).toHaveLength(1);
  });
});

describe("a new identity in the consult", () => {
  it("never gets an epoch another device held: the next patient's first key is a new epoch", async () => {
    const c = await Consult.create();
    await c.connect();
    await c.confirmBoth();
    expect(epochs(c)).toEqual([0]);
    const earlier = c.patient.received[0];
    // Another patient (another user, another key) takes the patient's seat in the same consult.
    c.patient.session.pageHide(() => undefined);
    c.patient.device = await newDevice(crypto.randomUUID());
    await c.patient.newBrowser();
    c.doctor.reload();
    c.patient.join();
    await c.settle();
    expect(c.doctor.e2ee.status).toBe("key-changed"); // the seat's key changed (PROTOCOL §1, docs/protocol.md)
    c.doctor.session.acknowledgeKeyChange();
    await c.settle();
    await c.confirmBoth();
    expect(c.doctor.e2ee.status).toBe("verified");
    expect(epochs(c)).toEqual([1]);
    expect(c.patient.received.some((k) => earlier && equal(k.keyId, earlier.keyId))).toBe(false);
  });
});
