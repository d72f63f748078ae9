// Session records (lib/server/auth/sessions.ts) as authz reads them, on both databases: a live
// session gives access, an ended, expired, idle or foreign one does not; idle logoff is for staff
// only; disabling an account and "sign out everywhere" end its sessions; open streams' batched
// re-check (loadConsultAccessMany) sees all of it.
import { beforeAll, expect, it } from "vitest";

import { loadConsultAccess, loadConsultAccessMany } from "@/lib/server/authz";
import { createSession, endSession, SESSION_LIFETIME_MS } from "@/lib/server/auth/sessions";
import { createConsult } from "@/lib/server/consults";
import { getServerEnv } from "@/lib/server/env";
import { redeemInvite } from "@/lib/server/guests";
import { disableStaff, enableStaff, endStaffSessions } from "@/lib/server/staff/accounts";

import { createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl, type Staff } from "../support/db";

setupTestEnv();

describeBackends("sessions", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;
  let admin: Staff;
  let consultId: string;
  let guestId: string;

  beforeAll(async () => {
    doctor = await createStaff(t.db, "doctor");
    admin = await createStaff(t.db, "admin");
    const c = await createConsult(t.db, { ...doctor }, ORIGIN);
    consultId = c.id;
    guestId = (await redeemInvite(t.db, tokenFromUrl(c.url), undefined)).userId;
  });

  const access = (userId: string, sessionId: string) => loadConsultAccess(t.db, userId, consultId, sessionId);
  const ago = (ms: number) => new Date(Date.now() - ms);

  it("a live session gives access; an ended one, or another user's, does not", async () => {
    const sid = await createSession(t.db, { userId: doctor.id, method: "password", ip: "192.0.2.1", userAgent: "test" });
    expect((await access(doctor.id, sid))?.user.sessionId).toBe(sid);
    const other = await createSession(t.db, { userId: admin.id, method: "password" });
    expect(await access(doctor.id, other)).toBeUndefined();
    expect(await access(doctor.id, "00000000-0000-4000-8000-000000000001")).toBeUndefined();
    expect(await endSession(t.db, sid, "sign_out")).toBe(true);
    expect(await endSession(t.db, sid, "sign_out")).toBe(false);
    expect(await access(doctor.id, sid)).toBeUndefined();
  });

  it("staff go idle after IDLE_TIMEOUT_MINUTES without activity; patients do not; nobody outlives 12 h", async () => {
    const idleMs = getServerEnv().idleTimeoutMs;
    const fresh = await createSession(t.db, { userId: doctor.id, method: "password" });
    const idle = await createSession(t.db, { userId: doctor.id, method: "password" }, ago(idleMs + 1000));
    const guestIdle = await createSession(t.db, { userId: guestId, method: "invite" }, ago(idleMs + 1000));
    const expired = await createSession(t.db, { userId: guestId, method: "invite" }, ago(SESSION_LIFETIME_MS + 1000));
    expect(await access(doctor.id, fresh)).toBeDefined();
    expect(await access(doctor.id, idle)).toBeUndefined();
    expect(await access(guestId, guestIdle)).toBeDefined();
    expect(await access(guestId, expired)).toBeUndefined();
    // the same answers in one batched query, in the order asked
    const many = await loadConsultAccessMany(t.db, [
      { userId: doctor.id, consultId, sessionId: idle },
      { userId: doctor.id, consultId, sessionId: fresh },
      { userId: guestId, consultId, sessionId: guestIdle },
      { userId: guestId, consultId, sessionId: expired },
      { userId: doctor.id, consultId },
    ]);
    expect(many.map((a) => a !== undefined)).toEqual([false, true, true, false, true]);
  });

  it("disabling a doctor ends their sessions for good; enabling does not bring them back", async () => {
    const sid = await createSession(t.db, { userId: doctor.id, method: "password" });
    await disableStaff(t.db, { userId: admin.id, via: "admin" }, doctor.id);
    await enableStaff(t.db, { userId: admin.id, via: "admin" }, doctor.id);
    expect(await access(doctor.id, sid)).toBeUndefined();
    expect((await t.db.session.findUniqueOrThrow({ where: { id: sid } })).endedReason).toBe("disabled");
  });

  it("sign out everywhere ends every live session of the person, and is audited", async () => {
    const a = await createSession(t.db, { userId: doctor.id, method: "password" });
    const b = await createSession(t.db, { userId: doctor.id, method: "passkey" });
    const adminSid = await createSession(t.db, { userId: admin.id, method: "password" });
    const ended = await endStaffSessions(t.db, { userId: doctor.id, via: "self" }, doctor.id);
    expect(ended).toBeGreaterThanOrEqual(2);
    expect(await access(doctor.id, a)).toBeUndefined();
    expect(await access(doctor.id, b)).toBeUndefined();
    expect((await t.db.session.findUniqueOrThrow({ where: { id: adminSid } })).endedAt).toBeNull();
    const row = await t.db.auditEvent.findFirstOrThrow({ where: { action: "staff.sessions_ended", subjectUserId: doctor.id }, orderBy: { id: "desc" } });
    expect(row.actorUserId).toBe(doctor.id);
  });
});
