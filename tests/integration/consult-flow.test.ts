// Invites, guests, access and the consult lifecycle (lib/server/{invites,guests,consults,authz}.ts)
// on both databases, through the real modules only.
import { randomBytes } from "node:crypto";

import { beforeAll, describe, expect, it } from "vitest";

import { loadConsultAccess, loadConsultAccessMany } from "@/lib/server/authz";
import { admit, createConsult, endConsult, leave, listDoctorConsults, newInvite, revokeInvite, roomSnapshot } from "@/lib/server/consults";
import { ApiError } from "@/lib/server/errors";
import { headSeq, readEvents, withEvents } from "@/lib/server/events/log";
import { InviteRefused, redeemInvite } from "@/lib/server/guests";
import { createInvite, INVITE_TTL_MS, lookupInvite } from "@/lib/server/invites";

import { accessOf, createStaff, describeBackends, ORIGIN, tokenFromUrl, setupDatabase, setupTestEnv, type Staff } from "../support/db";

setupTestEnv();

async function refusal(p: Promise<unknown>): Promise<InviteRefused["status"]> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InviteRefused) return err.status;
    throw err;
  }
  throw new Error("expected an InviteRefused");
}

describeBackends("consult flow", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;

  beforeAll(async () => {
    doctor = await createStaff(t.db);
  });

  const access = (userId: string, consultId: string) => accessOf(t.db, userId, consultId);

  /** A consult with its doctor's access, and the invite token of its first link. */
  async function consult() {
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    return { id, url, token: tokenFromUrl(url), doc: await access(doctor.id, id) };
  }

  /** A consult with a guest in its waiting room. */
  async function withGuest(sealedName?: string) {
    const c = await consult();
    const guest = await redeemInvite(t.db, c.token, sealedName, "203.0.113.7");
    return { ...c, guest, pat: await access(guest.userId, c.id) };
  }

  describe("createConsult", () => {
    it("creates an open consult with the doctor admitted and a working invite link", async () => {
      const { id, url, token, doc } = await consult();
      expect(url).toBe(`${ORIGIN}/join/${token}`);
      expect(doc.isOwner).toBe(true);
      expect(doc.participant).toMatchObject({ role: "doctor", state: "admitted", displayName: doctor.name });
      expect(doc.consult).toMatchObject({ id, status: "open", doctorId: doctor.id });
      const { status, invite } = await lookupInvite(t.db, token);
      expect(status).toBe("valid");
      expect(invite?.consultId).toBe(id);
      // Only the hash of the token is stored.
      const row = await t.db.invite.findFirstOrThrow({ where: { consultId: id } });
      expect(Buffer.from(row.tokenHash).toString("base64url")).not.toBe(token);
      expect(JSON.stringify(row)).not.toContain(token);
      expect(await t.db.auditEvent.count({ where: { consultId: id, action: "consult.created" } })).toBe(1);
      expect(await headSeq(t.db, id)).toBe(0);
    });

    it("schedules a consult in the future; only doctors create consults", async () => {
      const later = new Date(Date.now() + 3_600_000);
      const { id } = await createConsult(t.db, doctor, ORIGIN, later);
      expect((await t.db.consult.findUniqueOrThrow({ where: { id } })).status).toBe("scheduled");
      const admin = await createStaff(t.db, "admin");
      await expect(createConsult(t.db, admin, ORIGIN)).rejects.toMatchObject({ code: "forbidden" });
      const list = await listDoctorConsults(t.db, doctor.id);
      expect(list.upcoming.map((c) => c.id)).toContain(id);
    });
  });

  describe("invites", () => {
    it("redemption creates a guest patient in the waiting room and announces it; the name is kept only sealed", async () => {
      const sealed = "A".repeat(516); // the server neither reads nor checks what is inside (PROTOCOL §6)
      const { id, token, guest } = await withGuest(sealed);
      expect(guest.consultId).toBe(id);
      const user = await t.db.user.findUniqueOrThrow({ where: { id: guest.userId } });
      expect(user).toMatchObject({ role: "patient", email: null, passwordHash: null, name: "Patient" });
      const p = await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } });
      expect(p).toMatchObject({ consultId: id, userId: guest.userId, role: "patient", state: "waiting", displayName: "Patient", sealedName: sealed });
      // Only the doctor's snapshot carries the sealed name.
      expect((await roomSnapshot(t.db, await access(doctor.id, id), ORIGIN)).participants.find((x) => x.id === p.id)).toMatchObject({ sealedName: sealed, inviteId: p.inviteId });
      expect((await roomSnapshot(t.db, await access(guest.userId, id), ORIGIN)).me.sealedName).toBeUndefined();
      const invite = await t.db.invite.findFirstOrThrow({ where: { consultId: id } });
      expect(invite.usedAt).not.toBeNull();
      expect(invite.usedByUserId).toBe(guest.userId);
      expect(p.inviteId).toBe(invite.id);
      expect((await t.db.consult.findUniqueOrThrow({ where: { id } })).patientId).toBe(guest.userId);
      const events = await readEvents(t.db, id, { participantId: guest.participantId, admitted: false }, 0);
      expect(events).toEqual([
        expect.objectContaining({
          seq: 1,
          kind: "admission",
          type: "waiting",
          payload: { participantId: guest.participantId, userId: guest.userId, displayName: guest.name, role: "patient", state: "waiting" },
        }),
      ]);
      const audit = await t.db.auditEvent.findFirstOrThrow({ where: { consultId: id, action: "invite.redeemed" } });
      expect(audit).toMatchObject({ actorUserId: guest.userId, ip: "203.0.113.7" });
      expect(await lookupInvite(t.db, token).then((r) => r.status)).toBe("used");
    });

    it("a second redemption of a used link is refused as used", async () => {
      const { token } = await withGuest();
      expect(await refusal(redeemInvite(t.db, token, undefined))).toBe("used");
    });

    it("concurrent redemptions of one token: exactly one succeeds", async () => {
      const { id, token } = await consult();
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => redeemInvite(t.db, token, undefined)));
      const ok = results.filter((r) => r.status === "fulfilled");
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(5);
      for (const err of refused) {
        expect(err).toBeInstanceOf(InviteRefused);
        expect((err as InviteRefused).status).toBe("used");
      }
      expect(await t.db.participant.count({ where: { consultId: id, role: "patient" } })).toBe(1);
      expect(await t.db.user.count({ where: { role: "patient", participants: { some: { consultId: id } } } })).toBe(1);
      expect(await t.db.event.count({ where: { consultId: id, kind: "admission", type: "waiting" } })).toBe(1);
    });

    it("an unknown token is unknown", async () => {
      const bogus = randomBytes(32).toString("base64url");
      expect((await lookupInvite(t.db, bogus)).status).toBe("unknown");
      expect(await refusal(redeemInvite(t.db, bogus, undefined))).toBe("unknown");
    });

    it("an expired link is refused as expired", async () => {
      const { id } = await consult();
      const past = new Date(Date.now() - INVITE_TTL_MS - 60_000);
      const { token } = await withEvents(t.db, id, (tx) => createInvite(tx, id, doctor.id, past));
      expect((await lookupInvite(t.db, token)).status).toBe("expired");
      expect(await refusal(redeemInvite(t.db, token, undefined))).toBe("expired");
      // Valid until its expiry, not after.
      const { token: fresh, invite } = await withEvents(t.db, id, (tx) => createInvite(tx, id, doctor.id));
      expect((await lookupInvite(t.db, fresh, new Date(invite.expiresAt.getTime() - 1))).status).toBe("valid");
      expect((await lookupInvite(t.db, fresh, invite.expiresAt)).status).toBe("expired");
    });

    it("a new link withdraws the unused one (revoked), and the new one works", async () => {
      const { id, token, doc } = await consult();
      const next = await newInvite(t.db, doc, ORIGIN);
      expect((await lookupInvite(t.db, token)).status).toBe("revoked");
      expect(await refusal(redeemInvite(t.db, token, undefined))).toBe("revoked");
      const guest = await redeemInvite(t.db, tokenFromUrl(next.url), undefined);
      expect(guest.consultId).toBe(id);
    });

    it("an ended consult's links are refused as ended, whatever else holds", async () => {
      const { token, doc } = await consult();
      const other = await withGuest();
      await endConsult(t.db, doc);
      await endConsult(t.db, other.doc);
      expect((await lookupInvite(t.db, token)).status).toBe("ended");
      expect((await lookupInvite(t.db, other.token)).status).toBe("ended"); // used, and ended
      expect(await refusal(redeemInvite(t.db, token, undefined))).toBe("ended");
    });

    it("revokeInvite removes a waiting guest at once: removed event, no more access", async () => {
      const { id, guest, doc, pat } = await withGuest();
      expect(pat.participant.state).toBe("waiting");
      const before = await headSeq(t.db, id);
      await revokeInvite(t.db, doc, (await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } })).inviteId ?? "");
      expect(await loadConsultAccess(t.db, guest.userId, id)).toBeUndefined();
      const p = await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } });
      expect(p.state).toBe("removed");
      expect(p.removedAt).not.toBeNull();
      const events = await readEvents(t.db, id, { participantId: doc.participant.id, admitted: true }, before);
      expect(events).toEqual([
        expect.objectContaining({
          kind: "admission",
          type: "removed",
          payload: { participantId: guest.participantId, userId: guest.userId, displayName: guest.name, role: "patient", state: "removed" },
        }),
      ]);
      // The doctor keeps access; revoking again is harmless and emits nothing.
      expect(await loadConsultAccess(t.db, doctor.id, id)).toBeDefined();
      await revokeInvite(t.db, doc, p.inviteId ?? "");
      expect(await headSeq(t.db, id)).toBe(before + 1);
    });

    it("revokeInvite removes an admitted guest too", async () => {
      const { id, guest, doc } = await withGuest();
      await admit(t.db, doc, guest.participantId);
      expect((await access(guest.userId, id)).participant.state).toBe("admitted");
      const invite = await t.db.invite.findFirstOrThrow({ where: { consultId: id, usedByUserId: guest.userId } });
      await revokeInvite(t.db, doc, invite.id);
      expect(await loadConsultAccess(t.db, guest.userId, id)).toBeUndefined();
    });

    it("revokeInvite of an invite of another consult is not found", async () => {
      const a = await consult();
      const b = await consult();
      const inviteB = await t.db.invite.findFirstOrThrow({ where: { consultId: b.id } });
      await expect(revokeInvite(t.db, a.doc, inviteB.id)).rejects.toMatchObject({ code: "not_found" });
      expect((await lookupInvite(t.db, b.token)).status).toBe("valid");
    });
  });

  describe("access", () => {
    it("the owner, the guest, and nobody else", async () => {
      const { id, guest } = await withGuest();
      const doc = await access(doctor.id, id);
      expect(doc.isOwner).toBe(true);
      const pat = await access(guest.userId, id);
      expect(pat.isOwner).toBe(false);
      expect(pat.participant).toMatchObject({ id: guest.participantId, role: "patient", state: "waiting" });
      const stranger = await createStaff(t.db);
      expect(await loadConsultAccess(t.db, stranger.id, id)).toBeUndefined();
      expect(await loadConsultAccess(t.db, undefined, id)).toBeUndefined();
      expect(await loadConsultAccess(t.db, "00000000-0000-4000-8000-000000000099", id)).toBeUndefined();
      // A guest is bound to its one consult.
      const other = await consult();
      expect(await loadConsultAccess(t.db, guest.userId, other.id)).toBeUndefined();
      expect(await loadConsultAccess(t.db, guest.userId, "not-a-uuid")).toBeUndefined();
    });

    it("answers many (user, consult) pairs in one query, each as loadConsultAccess would, in order", async () => {
      const a = await withGuest();
      const b = await withGuest();
      await revokeInvite(t.db, await access(doctor.id, b.id), (await t.db.invite.findFirstOrThrow({ where: { consultId: b.id } })).id);
      const keys = [
        { userId: a.guest.userId, consultId: a.id },
        { userId: doctor.id, consultId: b.id },
        { userId: b.guest.userId, consultId: b.id }, // removed with its invite
        { userId: a.guest.userId, consultId: b.id }, // not its consult
        { userId: "nope", consultId: a.id },
        { userId: doctor.id, consultId: a.id },
      ];
      const many = await loadConsultAccessMany(t.db, keys);
      expect(many).toEqual(await Promise.all(keys.map((k) => loadConsultAccess(t.db, k.userId, k.consultId))));
      expect(many.map((x) => x?.participant.role)).toEqual(["patient", "doctor", undefined, undefined, undefined, "doctor"]);
    });

    it("loads every field of the caller's rows exactly as stored (one joined query)", async () => {
      const { id, guest } = await withGuest();
      const row = await t.db.participant.findUniqueOrThrow({
        where: { consultId_userId: { consultId: id, userId: guest.userId } },
        select: {
          id: true,
          role: true,
          state: true,
          displayName: true,
          user: { select: { id: true, name: true, email: true, role: true } },
          consult: { select: { id: true, status: true, doctorId: true, scheduledAt: true } },
        },
      });
      expect(await loadConsultAccess(t.db, guest.userId, id)).toEqual({
        user: row.user,
        participant: { id: row.id, role: row.role, state: row.state, displayName: row.displayName },
        consult: row.consult,
        isOwner: false,
      });
      const doc = await access(doctor.id, id);
      expect(doc.user).toEqual({ id: doctor.id, name: doctor.name, email: doctor.email, role: "doctor" });
      expect(doc.consult.scheduledAt).toBeInstanceOf(Date);
    });

    it("a disabled user has no access, doctor or guest", async () => {
      const doc2 = await createStaff(t.db);
      const { id, url } = await createConsult(t.db, doc2, ORIGIN);
      const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined);
      expect(await loadConsultAccess(t.db, doc2.id, id)).toBeDefined();
      await t.db.user.update({ where: { id: doc2.id }, data: { disabledAt: new Date() } });
      await t.db.user.update({ where: { id: guest.userId }, data: { disabledAt: new Date() } });
      expect(await loadConsultAccess(t.db, doc2.id, id)).toBeUndefined();
      expect(await loadConsultAccess(t.db, guest.userId, id)).toBeUndefined();
    });
  });

  describe("admit, leave, end", () => {
    it("admit moves the guest in and tells everyone; admitting twice emits nothing", async () => {
      const { id, guest, doc } = await withGuest();
      const before = await headSeq(t.db, id);
      await admit(t.db, doc, guest.participantId);
      const p = await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } });
      expect(p.state).toBe("admitted");
      expect(p.admittedAt).not.toBeNull();
      expect((await access(guest.userId, id)).participant.state).toBe("admitted");
      const events = await readEvents(t.db, id, { participantId: guest.participantId, admitted: false }, before);
      expect(events).toEqual([
        expect.objectContaining({
          kind: "admission",
          type: "admitted",
          from: doc.participant.id,
          to: null,
          payload: { participantId: guest.participantId, userId: guest.userId, displayName: guest.name, role: "patient", state: "admitted" },
        }),
      ]);
      await admit(t.db, doc, guest.participantId);
      expect(await headSeq(t.db, id)).toBe(before + 1);
      expect(await t.db.auditEvent.count({ where: { consultId: id, action: "participant.admitted" } })).toBe(1);
    });

    it("admit refuses the doctor, a removed guest and a participant of another consult", async () => {
      const { id, guest, doc } = await withGuest();
      await expect(admit(t.db, doc, doc.participant.id)).rejects.toMatchObject({ code: "invalid_input" });
      const other = await withGuest();
      await expect(admit(t.db, doc, other.guest.participantId)).rejects.toMatchObject({ code: "not_found" });
      expect((await t.db.participant.findUniqueOrThrow({ where: { id: other.guest.participantId } })).state).toBe("waiting");
      const invite = await t.db.invite.findFirstOrThrow({ where: { consultId: id, usedByUserId: guest.userId } });
      await revokeInvite(t.db, doc, invite.id);
      await expect(admit(t.db, doc, guest.participantId)).rejects.toBeInstanceOf(ApiError);
      expect((await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } })).state).toBe("removed");
    });

    it("leave marks the caller left and tells everyone; they may be admitted again", async () => {
      const { id, guest, doc } = await withGuest();
      await admit(t.db, doc, guest.participantId);
      const before = await headSeq(t.db, id);
      await leave(t.db, await access(guest.userId, id));
      const p = await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } });
      expect(p.state).toBe("left");
      expect(p.leftAt).not.toBeNull();
      const events = await readEvents(t.db, id, { participantId: doc.participant.id, admitted: true }, before);
      expect(events).toEqual([
        expect.objectContaining({ kind: "admission", type: "left", from: guest.participantId, payload: expect.objectContaining({ participantId: guest.participantId, state: "left" }) as unknown }),
      ]);
      // Left is not removed: the guest still has access and can be admitted again.
      expect((await access(guest.userId, id)).participant.state).toBe("left");
      await admit(t.db, doc, guest.participantId);
      expect((await access(guest.userId, id)).participant.state).toBe("admitted");
    });

    it("end ends the consult for everyone once, and withdraws unused links", async () => {
      const { id, token, doc } = await consult();
      const before = await headSeq(t.db, id);
      await endConsult(t.db, doc);
      const c = await t.db.consult.findUniqueOrThrow({ where: { id } });
      expect(c.status).toBe("ended");
      expect(c.endedAt).not.toBeNull();
      const invite = await t.db.invite.findFirstOrThrow({ where: { consultId: id } });
      expect(invite.revokedAt).not.toBeNull();
      expect(await refusal(redeemInvite(t.db, token, undefined))).toBe("ended");
      const events = await readEvents(t.db, id, { participantId: doc.participant.id, admitted: true }, before);
      expect(events).toEqual([expect.objectContaining({ kind: "consult", type: "ended", from: doc.participant.id, payload: { status: "ended" } })]);
      await endConsult(t.db, doc);
      expect(await headSeq(t.db, id)).toBe(before + 1);
      // Access remains (to read the history); the route handlers refuse changes with `open: true`.
      expect((await access(doctor.id, id)).consult.status).toBe("ended");
      const list = await listDoctorConsults(t.db, doctor.id);
      expect(list.past.map((x) => x.id)).toContain(id);
      expect(list.upcoming.map((x) => x.id)).not.toContain(id);
    });

    it("a waiting guest sees the end", async () => {
      const { id, guest, doc } = await withGuest();
      await endConsult(t.db, doc);
      const events = await readEvents(t.db, id, { participantId: guest.participantId, admitted: false }, 1);
      expect(events.map((e) => [e.kind, e.type])).toEqual([["consult", "ended"]]);
    });

    // Regression: admit() did not re-check the consult's status in its transaction, so an admit
    // racing an end re-opened the consult and emitted "admitted" after "ended".
    it("admit after the consult ended (stale access) is refused and never re-opens it", async () => {
      const { id, guest, doc } = await withGuest();
      await endConsult(t.db, doc); // `doc` was loaded while the consult was open
      await expect(admit(t.db, doc, guest.participantId)).rejects.toMatchObject({ code: "gone" });
      expect((await t.db.consult.findUniqueOrThrow({ where: { id } })).status).toBe("ended");
    });
  });

  describe("roomSnapshot", () => {
    it("shows the owner the invite until a patient is admitted; a waiting guest sees no invite", async () => {
      const { id, guest, doc } = await withGuest();
      const ownerView = await roomSnapshot(t.db, doc, ORIGIN);
      expect(ownerView.invite?.url).toMatch(new RegExp(`^${ORIGIN}/join/[A-Za-z0-9_-]{43}$`));
      expect(ownerView.lastSeq).toBe(await headSeq(t.db, id));
      expect(ownerView.participants.map((p) => p.id).sort()).toEqual([doc.participant.id, guest.participantId].sort());

      const guestView = await roomSnapshot(t.db, await access(guest.userId, id), ORIGIN);
      expect(guestView.invite).toBeNull();
      expect(guestView.me).toMatchObject({ id: guest.participantId, state: "waiting" });
      expect(guestView.participants.map((p) => p.id).sort()).toEqual([doc.participant.id, guest.participantId].sort());

      // Re-shown, not re-issued: the link is stable across reloads.
      expect((await roomSnapshot(t.db, doc, ORIGIN)).invite?.url).toBe(ownerView.invite?.url);
      await admit(t.db, doc, guest.participantId);
      expect((await roomSnapshot(t.db, await access(doctor.id, id), ORIGIN)).invite).toBeNull();
    });
  });
});
