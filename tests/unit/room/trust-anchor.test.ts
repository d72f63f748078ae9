// PROTOCOL §6: the invite link's fragment carries an anchor of the doctor's identity, from outside
// the server. On the patient's device (lib/client/trust.ts) a doctor key that does not match it is
// a changed key from the very first call, so a server in the middle of a first call, or of a trust
// on first use, is caught; once acknowledged (and then compared) it stays settled.
import { describe, expect, it } from "vitest";
import { doctorAnchor, generateSigningKey } from "@/lib/crypto";
import { rememberAnchor } from "@/lib/client/trust";
import { FakePins } from "./fakes/fake-trust";

const consultId = crypto.randomUUID();
const me = crypto.randomUUID();
const doctorUser = crypto.randomUUID();
const doctorSeat = { consultId, role: "doctor" as const };

describe("the doctor's anchor from the invite link", () => {
  it("a doctor key that matches it is met as new, and may be trusted on first use", async () => {
    const pins = new FakePins();
    const doctor = await generateSigningKey();
    await rememberAnchor(pins, consultId, await doctorAnchor(doctor.spki));
    const trust = pins.trustFor(me, doctorUser, doctorSeat);
    expect(await trust.pin(doctor.spki)).toBe("new");
    expect(await trust.mayTrustOnFirstUse(doctor.spki)).toBe(true);
  });

  it("any other key is a changed key on the first call, never trusted on first use; acknowledged, it stays settled", async () => {
    const pins = new FakePins();
    const doctor = await generateSigningKey();
    const server = await generateSigningKey();
    await rememberAnchor(pins, consultId, await doctorAnchor(doctor.spki));
    const trust = pins.trustFor(me, doctorUser, doctorSeat);
    expect(await trust.pin(server.spki)).toBe("changed");
    await trust.acceptChange(server.spki);
    expect(await trust.mayTrustOnFirstUse(server.spki)).toBe(false);
    // A reload meets the acknowledged key again: not a new warning each time.
    expect(await trust.pin(server.spki)).toBe("same");
    await trust.rememberVerified(server.spki);
    expect(await trust.pin(server.spki)).toBe("same");
  });

  it("without an anchor (a link that lost its fragment) the first key is new, as before", async () => {
    const pins = new FakePins();
    const doctor = await generateSigningKey();
    expect(await pins.trustFor(me, doctorUser, doctorSeat).pin(doctor.spki)).toBe("new");
  });

  it("binds the doctor's seat only, and only in its consult", async () => {
    const pins = new FakePins();
    const doctor = await generateSigningKey();
    const other = await generateSigningKey();
    await rememberAnchor(pins, consultId, await doctorAnchor(doctor.spki));
    expect(await pins.trustFor(me, crypto.randomUUID(), { consultId, role: "patient" }).pin(other.spki)).toBe("new");
    expect(await pins.trustFor(me, doctorUser, { consultId: crypto.randomUUID(), role: "doctor" }).pin(other.spki)).toBe("new");
  });
});
