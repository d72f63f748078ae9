// Chat chain heads over the call's data channel (PROTOCOL §4): each device's head reaches the
// other only once the other's DTLS check bound the channel to the verified hello; a head that
// arrives earlier is held, then delivered; the last one goes out at hang-up.
import { describe, expect, it } from "vitest";
import { randomBytes, toBase64Url } from "@/lib/crypto";
import type { ChainHeadMessage } from "@/lib/rtc/messages";
import { Consult, type Participant } from "./call-harness";

const headOf = (p: Participant, seq: number): Omit<ChainHeadMessage, "type"> => ({ deviceId: p.device.keys.deviceId, seq, hash: toBase64Url(randomBytes(32)) });

describe("chain heads", () => {
  it("a head set before the call reaches the other side after its DTLS check; later ones at once; the last one at hang-up", async () => {
    const c = await Consult.create();
    const d0 = headOf(c.doctor, 4);
    const p0 = headOf(c.patient, 9);
    c.doctor.setChainHead(d0);
    c.patient.setChainHead(p0);
    await c.connect();
    expect(c.patient.heads).toEqual([{ head: { type: "chain-head", ...d0 }, dtlsChecked: true }]);
    expect(c.doctor.heads).toEqual([{ head: { type: "chain-head", ...p0 }, dtlsChecked: true }]);

    const d1 = headOf(c.doctor, 5);
    c.doctor.setChainHead(d1);
    await c.settle();
    expect(c.patient.heads.map((h) => h.head.seq)).toEqual([4, 5]);

    const d2 = headOf(c.doctor, 6);
    c.doctor.setChainHead(d2);
    c.doctor.session.hangUp(); // the head and the bye go out together, the head first
    await c.settle();
    expect(c.patient.heads.at(-1)?.head).toEqual({ type: "chain-head", ...d2 });
    expect(c.patient.snap).toMatchObject({ state: "ended", problem: "peer-left" });
  });

  it("a head that arrives before the receiver's own DTLS check is held, then delivered once", async () => {
    const c = await Consult.create();
    const release = c.net.holdStats((p) => !p.initiator); // the patient's getStats() is slow
    c.doctor.setChainHead(headOf(c.doctor, 2));
    await c.connect();
    expect(c.doctor.e2ee.dtlsChecked).toBe(true);
    expect(c.patient.e2ee.dtlsChecked).toBe(false);
    // It is on the patient's device already (the doctor sent it over the channel), not in the room.
    expect(
      c.net
        .pair()
        .initiator.sent.map((m) => JSON.parse(m) as { type: string })
        .some((m) => m.type === "chain-head"),
    ).toBe(true);
    expect(c.patient.heads).toEqual([]);
    release();
    await c.settle();
    expect(c.patient.heads).toHaveLength(1);
    expect(c.patient.heads[0]).toMatchObject({ head: { seq: 2 }, dtlsChecked: true });
  });

  it("over a connection whose certificate is not the verified one, no head crosses", async () => {
    const c = await Consult.create();
    c.net.mitm = true;
    c.doctor.setChainHead(headOf(c.doctor, 1));
    c.patient.setChainHead(headOf(c.patient, 1));
    await c.connect();
    for (const p of [c.doctor, c.patient]) {
      expect(p.snap, p.side).toMatchObject({ state: "failed", problem: "certificate" });
      expect(p.heads, p.side).toEqual([]);
    }
    expect(c.net.peers.flatMap((p) => p.sent).filter((m) => m.includes("chain-head"))).toEqual([]);
  });
});
