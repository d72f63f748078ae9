import "server-only";
// The audit trail a clinic admin reads: who did what to which consult, when. Never content, never keys.
import type { Db, Prisma } from "./db";
import type { Tx } from "./events/log";

export type AuditEntry = {
  action: string;
  actorUserId?: string | null | undefined;
  /** the person acted on, e.g. the staff member an admin disabled */
  subjectUserId?: string | null | undefined;
  consultId?: string | null | undefined;
  detail?: Prisma.InputJsonValue;
  ip?: string | null | undefined;
};

function row(e: AuditEntry) {
  return { action: e.action, actorUserId: e.actorUserId ?? null, subjectUserId: e.subjectUserId ?? null, consultId: e.consultId ?? null, detail: e.detail ?? {}, ip: e.ip ?? null };
}

/** Writes an audit row through the caller's database handle or transaction. */
export async function audit(e: AuditEntry, db: Db | Tx): Promise<void> {
  await db.auditEvent.create({ data: row(e) });
}
