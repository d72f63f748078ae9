// Issue 20, item 4: a handshake that starts over because a new peer session appeared is counted
// in the call (E2ee.restarts), so that the room can warn once a server forcing restarts to try more
// call codes would show. Over the fakes in ./fakes (see ./call-harness.ts).
import { describe, expect, it } from "vitest";
import { randomBytes, toBase64Url } from "@/lib/crypto";
import { RESTARTS_SHOWN } from "@/lib/rtc/call";
import { Consult } from "./call-harness";

/** A commit of a session nobody holds the keys of, as a lying server would post it. */
function madeUpCommit() {
  return { type: "commit" as const, sid: toBase64Url(randomBytes(16)), deviceId: crypto.randomUUID(), c: toBase64Url(randomBytes(32)), reply: false };
}

describe("restarts in one call", () => {
  it("a call that connects at once counts none", async () => {
    const c = await Consult.create();
    await c.connect();
    expect(c.doctor.e2ee.restarts).toBe(0);
    expect(c.patient.e2ee.restarts).toBe(0);
  });

  it("each reload of the other side is one restart, kept across the new sessions of the call", async () => {
    const c = await Consult.create();
    await c.connect();
    for (let i = 1; i <= RESTARTS_SHOWN; i++) {
      c.patient.reload();
      await c.settle();
      expect(c.doctor.snap.state).toBe("connected");
      expect(c.doctor.e2ee.restarts).toBe(i);
    }
    expect(c.doctor.e2ee.code).toBe(c.patient.e2ee.code);
  });

  it("commits of made-up sessions posted by the server restart the handshake, and each is counted", async () => {
    const c = await Consult.create();
    await c.connect();
    for (let i = 0; i < RESTARTS_SHOWN; i++) {
      c.log.post("patient", madeUpCommit());
      await c.settle();
    }
    expect(c.doctor.e2ee.restarts).toBeGreaterThanOrEqual(RESTARTS_SHOWN);
    expect(c.doctor.e2ee.status).not.toBe("verified");
  });
});
