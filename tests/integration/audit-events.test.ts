// Issue 22, item 1: the events added to the audit trail, each written with (never apart from) the
// action it records, on both databases, through the real modules: failed invite redemptions, leave
// and rejoin, message history read, what the browsers report about encryption and the transcript,
// and the admin's own reading of the trail. A refused action leaves no row. (Document links issued:
// tests/integration/files.test.ts; devices: devices.test.ts and device-links.test.ts.)
import { beforeAll, expect, it } from "vitest";

import { admit, createConsult, leave, rejoin, reportE2ee, reportTranscriptExport } from "@/lib/server/consults";
import { InviteRefused, redeemInvite } from "@/lib/server/guests";
import { readHistory } from "@/lib/server/messages";
import { runCommand } from "@/lib/server/staff/commands";
import { withRequestContext } from "@/lib/server/request-context";

import { accessOf, apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl, type Staff } from "../support/db";

setupTestEnv();

describeBackends("audit events", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;
  const rows = (consultId: string) => t.db.auditEvent.findMany({ where: { consultId }, orderBy: { id: "asc" } });
  const actions = async (consultId: string) => (await rows(consultId)).map((r) => r.action);

  beforeAll(async () => {
    doctor = await createStaff(t.db);
  });

  async function admitted() {
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined, "198.51.100.4");
    const owner = await accessOf(t.db, doctor.id, id);
    await admit(t.db, owner, guest.participantId);
    return { id, url, owner, patient: await accessOf(t.db, guest.userId, id), guest };
  }

  it("a refused invite link is audited with its reason and consult; it admits nobody", async () => {
    const { id, url } = await admitted();
    const participants = await t.db.participant.count({ where: { consultId: id } });
    await expect(redeemInvite(t.db, tokenFromUrl(url), undefined, "203.0.113.50")).rejects.toThrow(InviteRefused);
    const failed = (await rows(id)).filter((r) => r.action === "invite.redeem_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ ip: "203.0.113.50", actorUserId: null, detail: { reason: "used", inviteId: expect.any(String) as string } });
    expect(await t.db.participant.count({ where: { consultId: id } })).toBe(participants);

    const before = await t.db.auditEvent.count({ where: { action: "invite.redeem_failed", consultId: null } });
    await expect(redeemInvite(t.db, "A".repeat(43), undefined, "203.0.113.51")).rejects.toThrow(InviteRefused);
    const unknown = await t.db.auditEvent.findMany({ where: { action: "invite.redeem_failed", consultId: null }, orderBy: { id: "desc" }, take: 1 });
    expect(await t.db.auditEvent.count({ where: { action: "invite.redeem_failed", consultId: null } })).toBe(before + 1);
    expect(unknown[0]).toMatchObject({ ip: "203.0.113.51", detail: { reason: "unknown" } });
  });

  it("leaving and coming back are audited; a rejoin of someone who never left writes nothing", async () => {
    const { id, patient } = await admitted();
    await rejoin(t.db, patient); // not left: nothing happens
    await leave(t.db, patient);
    await rejoin(t.db, await accessOf(t.db, patient.user.id, id));
    const trail = (await rows(id)).filter((r) => r.action.startsWith("participant."));
    expect(trail.map((r) => [r.action, r.actorUserId, r.actorName, r.detail])).toEqual([
      ["participant.admitted", doctor.id, doctor.name, expect.anything()],
      ["participant.left", patient.user.id, `participant ${patient.participant.id}`, { participantId: patient.participant.id }],
      ["participant.rejoined", patient.user.id, `participant ${patient.participant.id}`, { participantId: patient.participant.id, state: "waiting" }],
    ]);
  });

  it("reading the history is audited with how many messages, never which; from the request's address and browser", async () => {
    const { id, owner } = await admitted();
    await withRequestContext({ ip: "192.0.2.33", userAgent: "Chromium test" }, () => readHistory(t.db, owner));
    const read = (await rows(id)).filter((r) => r.action === "messages.read");
    expect(read.map((r) => [r.actorUserId, r.detail, r.ip, r.userAgent])).toEqual([[doctor.id, { count: 0 }, "192.0.2.33", "Chromium test"]]);
  });

  it("what the browsers report about encryption and the transcript is audited as their claim", async () => {
    const { id, owner, patient } = await admitted();
    await reportE2ee(t.db, owner, "keys_sent_on_trust");
    await reportE2ee(t.db, patient, "verified");
    await reportE2ee(t.db, owner, "verified");
    await reportE2ee(t.db, owner, "key_change_acknowledged");
    await reportE2ee(t.db, patient, "mismatch");
    await reportTranscriptExport(t.db, owner, 12);
    const claimed = (await rows(id)).filter((r) => (r.detail as { claimedBy?: string }).claimedBy === "client");
    expect(claimed.map((r) => [r.action, r.actorRole])).toEqual([
      ["e2ee.keys_sent_on_trust", "doctor"],
      ["e2ee.verified", "patient"],
      ["e2ee.verified", "doctor"],
      ["e2ee.key_change_acknowledged", "doctor"],
      ["e2ee.code_mismatch", "patient"],
      ["transcript.exported", "doctor"],
    ]);
    expect(claimed.at(-1)?.detail).toEqual({ messages: 12, claimedBy: "client" });
  });

  it("an admission that is refused, or changes nothing, leaves no row", async () => {
    const { id, owner, guest } = await admitted();
    const before = await actions(id);
    await admit(t.db, owner, guest.participantId); // already admitted: harmless, nothing happened
    expect(await apiErrorCode(admit(t.db, owner, crypto.randomUUID()))).toBe("not_found");
    expect(await apiErrorCode(admit(t.db, owner, owner.participant.id))).toBe("invalid_input");
    expect(await actions(id)).toEqual(before);
  });

  it("the admin's reading of the trail is itself audited: exports with their filter, checks with their result", async () => {
    const { id } = await admitted();
    const exported = await runCommand(t.db, ["audit-export", "--consult", id, "--format", "jsonl"]);
    expect(exported.ok).toBe(true);
    const verified = await runCommand(t.db, ["audit-verify"]);
    expect(verified.ok).toBe(true);
    const own = await t.db.auditEvent.findMany({ where: { action: { in: ["audit.exported", "audit.verified"] } }, orderBy: { id: "asc" } });
    expect(own.map((r) => [r.action, r.detail])).toEqual([
      ["audit.exported", { via: "cli", format: "jsonl", filter: { consult: id } }],
      ["audit.verified", { via: "cli", checked: expect.any(Number) as number, broken: null }],
    ]);
    expect(await runCommand(t.db, ["audit-export", "--consult", "not-a-uuid"])).toMatchObject({ ok: false });
    expect(await runCommand(t.db, ["audit-export", "--limit", "5"])).toMatchObject({ ok: false });
    expect(await t.db.auditEvent.count({ where: { action: "audit.exported" } })).toBe(1);
  });
});
