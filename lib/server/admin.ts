import "server-only";
// What a clinic admin reads: staff accounts and the audit trail (never consult content).
import type { Db } from "./db";
import { listStaff } from "./staff/accounts";
import { auditActorLabel, auditActorSelect } from "./audit";

export async function adminOverview(db: Db) {
  const [staff, events] = await Promise.all([
    listStaff(db),
    db.auditEvent.findMany({
      orderBy: { id: "desc" },
      take: 200,
      select: { id: true, at: true, action: true, consultId: true, subjectUserId: true, ip: true, actor: auditActorSelect },
    }),
  ]);
  const names = new Map(staff.map((s) => [s.id, s.email]));
  return {
    staff,
    events: events.map((e) => ({ ...e, id: e.id.toString(), actor: auditActorLabel(e.actor), subject: e.subjectUserId ? (names.get(e.subjectUserId) ?? e.subjectUserId.slice(0, 8)) : undefined })),
  };
}
