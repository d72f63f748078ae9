// Issue 20, item 5: the admin's audit view and export name a patient by participant id, never by
// the name they typed at the join (lib/server/admin.ts, lib/server/audit/export.ts), on both
// databases, through the real modules.
import { beforeAll, expect, it } from "vitest";

import { adminOverview } from "@/lib/server/admin";
import { auditExportText } from "@/lib/server/audit/export";
import { createConsult } from "@/lib/server/consults";
import { redeemInvite } from "@/lib/server/guests";
import { decodeSealedName, encodeSealedName, generateEcdhKey, openName, sealName } from "@/lib/crypto";

import { createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl, type Staff } from "../support/db";

setupTestEnv();

describeBackends("audit actors", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;

  beforeAll(async () => {
    doctor = await createStaff(t.db);
  });

  it("a patient's row names the participant, the staff member's their name; the typed name appears nowhere", async () => {
    const typed = `Pat Secretname ${Math.random().toString(36).slice(2, 8)}`;
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    // The join page seals the typed name to the doctor's name key (PROTOCOL §6): the server gets only that.
    const n = await generateEcdhKey();
    const inviteId = (await t.db.invite.findFirstOrThrow({ where: { consultId: id } })).id;
    const guest = await redeemInvite(t.db, tokenFromUrl(url), encodeSealedName(await sealName(typed, n.spki, id, inviteId)), "203.0.113.7");

    const { events } = await adminOverview(t.db);
    const redeemed = events.find((e) => e.action === "invite.redeemed" && e.consultId === id);
    expect(redeemed).toMatchObject({ actorName: `participant ${guest.participantId}`, actorRole: "patient" });
    const created = events.find((e) => e.action === "consult.created" && e.consultId === id);
    expect(created).toMatchObject({ actorName: doctor.name, actorRole: "doctor" });
    expect(JSON.stringify(events)).not.toContain(typed);

    const csv = await auditExportText(t.db, {}, "csv");
    expect(csv).toContain(`participant ${guest.participantId}`);
    expect(csv).not.toContain(typed);

    // No table holds the typed name, and the doctor's device (holding N) reads it back.
    const user = await t.db.user.findUniqueOrThrow({ where: { id: guest.userId } });
    const participant = await t.db.participant.findUniqueOrThrow({ where: { id: guest.participantId } });
    const adminEvents = await t.db.event.findMany({ where: { consultId: id } });
    expect(JSON.stringify([user, participant, adminEvents, await t.db.auditEvent.findMany({ where: { consultId: id } })], (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      typed,
    );
    expect(await openName(decodeSealedName(participant.sealedName ?? ""), n, id, inviteId)).toBe(typed);
  });
});
