import "server-only";
// A legal hold on a consult (issue 22, item 5): an admin's, with a reason. While it holds, nothing
// of the consult is deleted: not by retention (retention.ts), not by its doctor's "delete on the
// server" (messages.ts deleteRecord), not a document by its sender (files.ts deleteFile). Placing
// and releasing are audited with the reason.
import type { Db } from "./db";
import type { Tx } from "./events/log";
import type { SessionUser } from "./authz";
import { audit } from "./audit";
import { ApiError } from "./errors";

export const HELD_MESSAGE = "This consult is under a legal hold: nothing of it can be deleted until the clinic's admin releases the hold.";

function adminOnly(me: SessionUser): void {
  if (me.role !== "admin") throw new ApiError("forbidden", "Only a clinic admin places or releases a legal hold");
}

export async function placeHold(db: Db, me: SessionUser, consultId: string, reason: string): Promise<{ heldAt: string }> {
  adminOnly(me);
  return db.$transaction(async (tx) => {
    const c = await tx.consult.findUnique({ where: { id: consultId }, select: { heldAt: true, purgedAt: true } });
    if (!c) throw new ApiError("not_found", "No such consult");
    if (c.heldAt) throw new ApiError("conflict", "This consult is already under a legal hold");
    const now = new Date();
    await tx.consult.update({ where: { id: consultId }, data: { heldAt: now, heldById: me.id, holdReason: reason } });
    await audit({ action: "consult.hold_placed", actorUserId: me.id, consultId, detail: { reason, alreadyPurged: c.purgedAt !== null } }, tx);
    return { heldAt: now.toISOString() };
  });
}

export async function releaseHold(db: Db, me: SessionUser, consultId: string): Promise<void> {
  adminOnly(me);
  await db.$transaction(async (tx) => {
    const c = await tx.consult.findUnique({ where: { id: consultId }, select: { heldAt: true, holdReason: true } });
    if (!c) throw new ApiError("not_found", "No such consult");
    if (!c.heldAt) throw new ApiError("conflict", "This consult is not under a legal hold");
    await tx.consult.update({ where: { id: consultId }, data: { heldAt: null, heldById: null, holdReason: null } });
    await audit({ action: "consult.hold_released", actorUserId: me.id, consultId, detail: { reason: c.holdReason, heldSince: c.heldAt.toISOString() } }, tx);
  });
}

/** Refuses (409) a deletion of a held consult's content. */
export async function refuseIfHeld(db: Db | Tx, consultId: string): Promise<void> {
  const c = await db.consult.findUnique({ where: { id: consultId }, select: { heldAt: true } });
  if (c?.heldAt) throw new ApiError("conflict", HELD_MESSAGE);
}
