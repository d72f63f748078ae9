// lib/server/events/log.ts on both databases: gap-free per-consult seqs under concurrency,
// who sees what (readEvents), and the clean-up of old signals.
import { beforeAll, expect, it } from "vitest";

import { loadConsultAccess } from "@/lib/server/authz";
import { createConsult, postSignal } from "@/lib/server/consults";
import { appendEvent, deleteOldSignals, headSeq, readEvents, withEvents, type NewEvent } from "@/lib/server/events/log";
import { redeemInvite } from "@/lib/server/guests";
import { ApiError } from "@/lib/server/errors";

import { createStaff, describeBackends, ORIGIN, tokenFromUrl, setupDatabase, setupTestEnv, type Staff } from "../support/db";

setupTestEnv();

describeBackends("event log", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;

  beforeAll(async () => {
    doctor = await createStaff(t.db);
  });

  /** A fresh open consult with its doctor admitted; returns its id and the doctor's participant id. */
  async function consult() {
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    const access = await loadConsultAccess(t.db, doctor.id, id);
    if (!access) throw new Error("doctor has no access to their consult");
    return { id, url, doctorP: access.participant.id, access };
  }

  it("50 concurrent appends to one consult get seqs 1..50, gap-free, no duplicates", async () => {
    const { id } = await consult();
    expect(await headSeq(t.db, id)).toBe(0);
    await Promise.all(Array.from({ length: 50 }, (_, i) => appendEvent(t.db, { consultId: id, kind: "signal", type: "candidate", payload: { i } })));
    const rows = await t.db.event.findMany({ where: { consultId: id }, orderBy: { seq: "asc" } });
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Every append landed exactly once.
    const payloads = rows.map((r) => (r.payload as { i: number }).i).sort((a, b) => a - b);
    expect(payloads).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await headSeq(t.db, id)).toBe(50);
  });

  it("concurrent appends to different consults keep separate sequences", async () => {
    const a = await consult();
    const b = await consult();
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendEvent(t.db, { consultId: i % 2 ? a.id : b.id, kind: "presence", type: "online" })));
    for (const c of [a, b]) {
      const seqs = (await t.db.event.findMany({ where: { consultId: c.id }, orderBy: { seq: "asc" }, select: { seq: true } })).map((r) => Number(r.seq));
      expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
  });

  it("transactions that lock a consult's rows in different orders never deadlock (the consult row is locked first)", async () => {
    const { id, doctorP } = await consult();
    // Like admit (consult, then participant) racing a stream's presence update (participant, then the log).
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        withEvents(t.db, id, async (tx, emit) => {
          if (i % 2 === 0) await tx.consult.update({ where: { id }, data: { startedAt: new Date() } });
          await tx.participant.update({ where: { id: doctorP }, data: { lastSeenAt: new Date() } });
          if (i % 2 === 1) await tx.consult.update({ where: { id }, data: { startedAt: new Date() } });
          emit({ consultId: id, kind: "presence", type: "online" });
        }),
      ),
    );
    expect(await headSeq(t.db, id)).toBe(30);
  });

  it("a transaction's events get consecutive seqs and commit with its writes, or not at all", async () => {
    const { id, doctorP } = await consult();
    await withEvents(t.db, id, (_tx, emit) => {
      for (const type of ["a", "b", "c"]) emit({ consultId: id, kind: "signal", type });
      return Promise.resolve();
    });
    expect(await headSeq(t.db, id)).toBe(3);

    await expect(
      withEvents(t.db, id, async (tx, emit) => {
        emit({ consultId: id, kind: "signal", type: "lost" });
        await tx.participant.update({ where: { id: doctorP }, data: { displayName: "changed" } });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await headSeq(t.db, id)).toBe(3);
    expect(await t.db.event.count({ where: { consultId: id, type: "lost" } })).toBe(0);
    expect((await t.db.participant.findUniqueOrThrow({ where: { id: doctorP } })).displayName).not.toBe("changed");
  });

  it("readEvents: a waiting participant sees only admission/consult broadcasts and what is addressed to it", async () => {
    const { id, url, doctorP } = await consult();
    const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined);
    const other = "00000000-0000-4000-8000-000000000042";
    const events: NewEvent[] = [
      { consultId: id, kind: "signal", type: "offer", from: doctorP }, // 2: broadcast signal
      { consultId: id, kind: "signal", type: "hello", from: doctorP, to: guest.participantId }, // 3: to the guest
      { consultId: id, kind: "signal", type: "private", from: doctorP, to: other }, // 4: to someone else
      { consultId: id, kind: "presence", type: "online", from: doctorP }, // 5
      { consultId: id, kind: "message", type: "new", from: doctorP }, // 6
      { consultId: id, kind: "file", type: "ready", from: doctorP }, // 7
      { consultId: id, kind: "admission", type: "removed", to: other }, // 8: admission, but addressed elsewhere
      { consultId: id, kind: "consult", type: "ended" }, // 9
    ];
    for (const e of events) await appendEvent(t.db, e);
    // seq 1 is the guest's own "waiting" admission from redeemInvite.
    const waiting = await readEvents(t.db, id, { participantId: guest.participantId, admitted: false }, 0);
    expect(waiting.map((e) => [e.seq, e.kind, e.type])).toEqual([
      [1, "admission", "waiting"],
      [3, "signal", "hello"],
      [9, "consult", "ended"],
    ]);

    const admitted = await readEvents(t.db, id, { participantId: guest.participantId, admitted: true }, 0);
    expect(admitted.map((e) => e.seq)).toEqual([1, 2, 3, 5, 6, 7, 9]);

    const doc = await readEvents(t.db, id, { participantId: doctorP, admitted: true }, 0);
    expect(doc.map((e) => e.seq)).toEqual([1, 2, 5, 6, 7, 9]);
  });

  it("readEvents returns the stream's shape, after a cursor, in order, up to a limit", async () => {
    const { id, doctorP } = await consult();
    for (let i = 0; i < 10; i++) await appendEvent(t.db, { consultId: id, kind: "signal", type: "candidate", from: doctorP, payload: { i, nested: { ok: true } } });
    const who = { participantId: doctorP, admitted: true };
    const after4 = await readEvents(t.db, id, who, 4);
    expect(after4.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(after4[0]).toEqual({
      seq: 5,
      kind: "signal",
      type: "candidate",
      from: doctorP,
      to: null,
      payload: { i: 4, nested: { ok: true } },
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
    });
    expect((await readEvents(t.db, id, who, 0, 3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await readEvents(t.db, id, who, 10)).toEqual([]);
    // Another consult's events never leak in.
    const other = await consult();
    await appendEvent(t.db, { consultId: other.id, kind: "signal", type: "x" });
    expect((await readEvents(t.db, id, who, 0)).every((e) => e.type === "candidate")).toBe(true);
  });

  it("postSignal relays to one admitted participant only, never to oneself or a stranger", async () => {
    const { id, doctorP, access } = await consult();
    const r = await postSignal(t.db, access, { type: "offer", payload: { sdp: "v=0" } });
    expect(r).toEqual({ ok: true });
    const [e] = await readEvents(t.db, id, { participantId: doctorP, admitted: true }, 0);
    expect(e).toMatchObject({ kind: "signal", type: "offer", from: doctorP, to: null, payload: { sdp: "v=0" } });
    await expect(postSignal(t.db, access, { to: doctorP, type: "offer", payload: {} })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(postSignal(t.db, access, { to: "00000000-0000-4000-8000-000000000043", type: "offer", payload: {} })).rejects.toBeInstanceOf(ApiError);
    expect(await headSeq(t.db, id)).toBe(1);
  });

  it("deleteOldSignals deletes only signals, presence and receipts older than the TTL", async () => {
    const { id, doctorP } = await consult();
    const now = new Date();
    const old = new Date(now.getTime() - 2 * 60 * 60 * 1000);
    for (const kind of ["signal", "presence", "admission", "consult", "message", "file"] as const) {
      await appendEvent(t.db, { consultId: id, kind, type: `old-${kind}`, from: doctorP });
    }
    await appendEvent(t.db, { consultId: id, kind: "message", type: "receipt", from: doctorP });
    await t.db.event.updateMany({ where: { consultId: id }, data: { createdAt: old } });
    await appendEvent(t.db, { consultId: id, kind: "signal", type: "fresh-signal", from: doctorP });
    const before = await t.db.event.count({ where: { consultId: id } });
    // Other test cases' events are fresh, so only this consult's three old ones go.
    expect(await deleteOldSignals(t.db, now)).toBe(3);
    const left = await t.db.event.findMany({ where: { consultId: id }, orderBy: { seq: "asc" } });
    expect(left).toHaveLength(before - 3);
    expect(left.map((e) => e.type)).toEqual(["old-admission", "old-consult", "old-message", "old-file", "fresh-signal"]);
    // The log head does not move back: new events keep counting up.
    expect(await headSeq(t.db, id)).toBe(8);
    expect(await deleteOldSignals(t.db, now)).toBe(0);
    // A shorter TTL reaches the fresh one.
    expect(await deleteOldSignals(t.db, new Date(Date.now() + 1000), 0)).toBeGreaterThanOrEqual(1);
    expect(await t.db.event.count({ where: { consultId: id, kind: "signal" } })).toBe(0);
  });
});
