import "server-only";
// The audit trail a clinic admin reads: who did what to which consult, when. Never content, never keys.
import type { Prisma } from "./db";
import { getDb } from "./db";
import type { Tx } from "./events/log";

export type AuditEntry = {
  action: string;
  actorUserId?: string | null | undefined;
  consultId?: string | null | undefined;
  detail?: Prisma.InputJsonValue;
  ip?: string | undefined;
};

function row(e: AuditEntry) {
  return { action: e.action, actorUserId: e.actorUserId ?? null, consultId: e.consultId ?? null, detail: e.detail ?? {}, ip: e.ip ?? null };
}

/** Writes an audit row in the caller's transaction, or on its own. */
export async function audit(e: AuditEntry, tx?: Tx): Promise<void> {
  const db = tx ?? (await getDb());
  await db.auditEvent.create({ data: row(e) });
}
