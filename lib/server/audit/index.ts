import "server-only";
// The audit trail a clinic admin reads: who did what to which consult, when, from where. Never
// content, never keys. The database numbers, names and chains each row (the trigger of migration
// 20261212100000_audit_chain; chain.ts checks it) and refuses to change or delete one.
import type { Db, Prisma } from "../db";
import type { Tx } from "../events/log";
import { currentRequest } from "../request-context";

export type AuditEntry = {
  action: string;
  actorUserId?: string | null | undefined;
  /** the person acted on, e.g. the staff member an admin disabled */
  subjectUserId?: string | null | undefined;
  consultId?: string | null | undefined;
  detail?: Prisma.InputJsonValue;
  /** the source address; by default the current request's (route(), lib/server/http.ts) */
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
};

function row(e: AuditEntry) {
  const request = currentRequest();
  return {
    action: e.action,
    actorUserId: e.actorUserId ?? null,
    subjectUserId: e.subjectUserId ?? null,
    consultId: e.consultId ?? null,
    detail: e.detail ?? {},
    ip: e.ip ?? request?.ip ?? null,
    userAgent: e.userAgent ?? request?.userAgent ?? null,
  };
}

/**
 * Writes an audit row through the caller's database handle or transaction. In a transaction it
 * holds the audit lock until the commit (the next row chains to this one), so write it as the
 * transaction's last step.
 */
export async function audit(e: AuditEntry, db: Db | Tx): Promise<void> {
  await db.auditEvent.create({ data: row(e), select: { id: true } });
}
