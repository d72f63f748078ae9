import "server-only";
// Patients have no account: redeeming an invite creates a guest user bound to that one consult,
// waiting in its waiting room. Redemption is atomic and single-use: two tabs racing with the same
// link get one guest between them. The server never learns the patient's name: the join page seals
// it to the doctor's name key (PROTOCOL §6), and the guest is "Patient" here and in every event.
import { PATIENT_LABEL } from "@/lib/shared/api";
import type { Db } from "./db";
import { withEvents } from "./events/log";
import { audit } from "./audit";
import { hashInviteToken, lookupInvite, type InviteStatus } from "./invites";

export class InviteRefused extends Error {
  constructor(readonly status: Exclude<InviteStatus, "valid">) {
    super(`invite ${status}`);
  }
}

/**
 * A patient joins with an invite link. A refused link (unknown, used, revoked, expired, ended) is
 * audited as `invite.redeem_failed` with the reason and, when the link is one of a consult's, that
 * consult: someone tried a link they should not have.
 */
export async function redeemInvite(db: Db, token: string, sealedName: string | undefined, ip?: string) {
  const now = new Date();
  const { status, invite } = await lookupInvite(db, token, now);
  try {
    if (status !== "valid" || !invite) throw new InviteRefused(status === "valid" ? "unknown" : status);
    return await claimInvite(db, invite, token, sealedName, ip, now);
  } catch (err) {
    if (err instanceof InviteRefused) {
      await audit({ action: "invite.redeem_failed", consultId: invite?.consultId, detail: { reason: err.status, ...(invite ? { inviteId: invite.id } : {}) }, ip }, db);
    }
    throw err;
  }
}

async function claimInvite(db: Db, invite: { id: string; consultId: string }, token: string, sealedName: string | undefined, ip: string | undefined, now: Date) {
  return withEvents(db, invite.consultId, async (tx, emit) => {
    // Claim the invite first: only one redemption can move it from unused to used.
    const claimed = await tx.invite.updateMany({
      where: { tokenHash: hashInviteToken(token), usedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (claimed.count !== 1) throw new InviteRefused("used");
    const user = await tx.user.create({ data: { name: PATIENT_LABEL, role: "patient" } });
    await tx.invite.update({ where: { id: invite.id }, data: { usedByUserId: user.id } });
    const participant = await tx.participant.create({
      data: { consultId: invite.consultId, userId: user.id, role: "patient", state: "waiting", displayName: PATIENT_LABEL, sealedName: sealedName ?? null, inviteId: invite.id },
    });
    await tx.consult.update({ where: { id: invite.consultId }, data: { patientId: user.id } });
    emit({
      consultId: invite.consultId,
      kind: "admission",
      type: "waiting",
      payload: { participantId: participant.id, userId: user.id, displayName: PATIENT_LABEL, role: "patient", state: "waiting" },
    });
    await audit({ action: "invite.redeemed", actorUserId: user.id, consultId: invite.consultId, detail: { inviteId: invite.id }, ip }, tx);
    return { userId: user.id, name: PATIENT_LABEL, consultId: invite.consultId, participantId: participant.id };
  });
}
