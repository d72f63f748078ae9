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

/** The actor columns an admin reads: a prisma select, and the label it gives. */
export const auditActorSelect = { select: { name: true, role: true, participants: { select: { id: true }, take: 1 } } } as const;

/**
 * Who acted, as the admin's audit view and export name them. Staff by name; a patient by their
 * participant id only (a guest is bound to one consult): the name a patient typed at the join is
 * not the clinic's record of who they are, and the audit trail never repeats it.
 */
export function auditActorLabel(actor: { name: string; role: string; participants: { id: string }[] } | null): { name: string; role: string } | undefined {
  if (!actor) return undefined;
  if (actor.role !== "patient") return { name: actor.name, role: actor.role };
  const p = actor.participants[0];
  return { name: p ? `participant ${p.id}` : "patient", role: actor.role };
}
