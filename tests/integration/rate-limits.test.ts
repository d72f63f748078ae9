// The abuse limits (lib/server/rate-limits.ts) on both databases, through the server functions the
// routes call: what a real call sends is never refused; past a participant's limit a signal,
// presence update, receipt or message is refused with 429 and a Retry-After in seconds, and writes
// nothing; a new window allows again; one participant's count never touches another's.
import { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";

import type { ConsultAccess } from "@/lib/server/authz";
import { admit, createConsult, postSignal } from "@/lib/server/consults";
import { registerDevice } from "@/lib/server/devices";
import { ApiError } from "@/lib/server/errors";
import { headSeq } from "@/lib/server/events/log";
import { redeemInvite } from "@/lib/server/guests";
import { errorResponse } from "@/lib/server/http";
import { postMessage, postReceipt } from "@/lib/server/messages";
import { updatePresence } from "@/lib/server/presence";
import { checkRate, RATE_LIMITS, type RateKind } from "@/lib/server/rate-limits";

import { sealedMessageBody } from "../../e2e/support/keys";
import { accessOf, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl } from "../support/db";

setupTestEnv();

const identityKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }).toString("base64url");

/** The error a call was refused with; fails the test when it was not refused. */
async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected the call to be refused");
}

describeBackends("abuse limits", (kind) => {
  const t = setupDatabase(kind);
  let doctor: ConsultAccess;
  let patient: ConsultAccess;
  let doctorDevice: string;
  let patientDevice: string;
  const seqs = new Map<string, number>();

  /** Another consult with its doctor and admitted patient: every test starts from zero counts. */
  async function consult() {
    const staff = await createStaff(t.db);
    const { id, url } = await createConsult(t.db, staff, ORIGIN);
    const d = await accessOf(t.db, staff.id, id);
    const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined);
    await admit(t.db, d, guest.participantId);
    const p = await accessOf(t.db, guest.userId, id);
    const dd = (await registerDevice(t.db, d.user, identityKey())).deviceId;
    const pd = (await registerDevice(t.db, p.user, identityKey())).deviceId;
    return { d, p, dd, pd };
  }

  beforeAll(async () => {
    ({ d: doctor, p: patient, dd: doctorDevice, pd: patientDevice } = await consult());
  });

  /** One request of `kind` from `who` (the doctor or the patient), as its route makes it. */
  const send: Record<RateKind, (who: ConsultAccess) => Promise<unknown>> = {
    signal: (who) => postSignal(t.db, who, { to: who === doctor ? patient.participant.id : doctor.participant.id, type: "rtc", payload: { n: 1 } }),
    presence: (who) => updatePresence(t.db, who, { status: "online", typing: true }),
    receipt: (who) => postReceipt(t.db, who, { senderDeviceId: who === doctor ? patientDevice : doctorDevice, seq: 0, state: "read" }),
    message: (who) => {
      const device = who === doctor ? doctorDevice : patientDevice;
      const seq = seqs.get(device) ?? 0;
      seqs.set(device, seq + 1);
      return postMessage(t.db, who, sealedMessageBody(device, seq));
    },
  };

  const rateOf = (who: ConsultAccess, k: RateKind) => t.db.participantRate.findUnique({ where: { participantId_kind: { participantId: who.participant.id, kind: k } } });

  /** The window is used up to `left` requests short of its limit (as if that many came before). */
  async function nearLimit(who: ConsultAccess, k: RateKind, left: number) {
    await t.db.participantRate.upsert({
      where: { participantId_kind: { participantId: who.participant.id, kind: k } },
      create: { participantId: who.participant.id, kind: k, windowStart: new Date(), count: RATE_LIMITS[k].max - left },
      update: { windowStart: new Date(), count: RATE_LIMITS[k].max - left },
    });
  }

  /** What a refused request must not have changed. */
  const written = async () => ({
    seq: await headSeq(t.db, doctor.consult.id),
    events: await t.db.event.count({ where: { consultId: doctor.consult.id } }),
    messages: await t.db.message.count({ where: { consultId: doctor.consult.id } }),
    seen: (await t.db.participant.findUniqueOrThrow({ where: { id: doctor.participant.id } })).lastSeenAt,
  });

  it("a window of traffic at a tenth of each limit (more than the app itself sends) is never refused, and each request counts once", async () => {
    // What the app sends at worst is measured by tests/unit/rate-limit-margin.test.ts.
    for (const k of Object.keys(RATE_LIMITS) as RateKind[]) {
      const n = RATE_LIMITS[k].max / 10;
      for (let i = 0; i < n; i++) await send[k](doctor);
      expect((await rateOf(doctor, k))?.count, k).toBe(n);
    }
  });

  describe.each(["signal", "presence", "receipt", "message"] as const)("%s", (k) => {
    it("past the limit: 429 with Retry-After in seconds, and nothing written", async () => {
      await nearLimit(doctor, k, 2);
      await send[k](doctor);
      await send[k](doctor); // the last one the window allows
      const before = await written();
      const err = await refusal(send[k](doctor));
      expect(err).toMatchObject({ code: "rate_limited", status: 429 });
      expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(err.retryAfterSeconds).toBeLessThanOrEqual(RATE_LIMITS[k].windowMs / 1000);
      const res = errorResponse(err);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe(String(err.retryAfterSeconds));
      expect(await res.json()).toMatchObject({ error: { code: "rate_limited", message: expect.stringMatching(/wait \d+ s/) as unknown } });
      expect(await written()).toEqual(before);
    });

    it("a new window allows again", async () => {
      await nearLimit(doctor, k, 0);
      expect((await refusal(send[k](doctor))).code).toBe("rate_limited");
      // The window opened a minute and a second ago.
      await t.db.participantRate.update({
        where: { participantId_kind: { participantId: doctor.participant.id, kind: k } },
        data: { windowStart: new Date(Date.now() - RATE_LIMITS[k].windowMs - 1_000) },
      });
      await send[k](doctor);
      expect((await rateOf(doctor, k))?.count).toBe(1);
    });

    it("is per participant: the other person is not held back", async () => {
      await nearLimit(doctor, k, 0);
      expect((await refusal(send[k](doctor))).code).toBe("rate_limited");
      await send[k](patient);
      expect((await rateOf(patient, k))?.count).toBe(1);
      await t.db.participantRate.deleteMany({ where: { participantId: doctor.participant.id } });
    });
  });

  it("is per kind: a participant at its signal limit still chats", async () => {
    await nearLimit(doctor, "signal", 0);
    expect((await refusal(send.signal(doctor))).code).toBe("rate_limited");
    await send.message(doctor);
    await send.presence(doctor);
    await send.receipt(doctor);
  });

  it("counts requests made at once exactly (one atomic statement each)", async () => {
    const { p } = await consult();
    await Promise.all(Array.from({ length: 40 }, () => checkRate(t.db, p.participant.id, "presence")));
    expect((await rateOf(p, "presence"))?.count).toBe(40);
  });

  it("the window runs from its first request: Retry-After is what is left of it, and refused requests do not extend it", async () => {
    const { p } = await consult();
    const start = new Date("2026-12-07T10:00:00.000Z");
    const at = (ms: number) => new Date(start.getTime() + ms);
    const { windowMs } = RATE_LIMITS.receipt;
    await nearLimit(p, "receipt", 1);
    await t.db.participantRate.update({ where: { participantId_kind: { participantId: p.participant.id, kind: "receipt" } }, data: { windowStart: start } });
    await checkRate(t.db, p.participant.id, "receipt", at(1_000));
    expect((await refusal(checkRate(t.db, p.participant.id, "receipt", at(20_000)))).retryAfterSeconds).toBe(40);
    expect((await refusal(checkRate(t.db, p.participant.id, "receipt", at(windowMs - 300)))).retryAfterSeconds).toBe(1);
    expect((await rateOf(p, "receipt"))?.windowStart).toEqual(start);
    // The window has ended: a new one opens with this request.
    await checkRate(t.db, p.participant.id, "receipt", at(windowMs));
    expect(await rateOf(p, "receipt")).toMatchObject({ windowStart: at(windowMs), count: 1 });
  });
});
