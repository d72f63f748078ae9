import "server-only";
// Consult lifecycle: create (with its first invite), the room's snapshot, admit, leave, end,
// invites, and relaying signals. Callers have been authorized by lib/server/authz.ts; these
// functions still check the consult state they depend on inside their transaction.
import type { Db } from "./db";
import type { ConsultAccess, SessionUser } from "./authz";
import { ApiError } from "./errors";
import { currentRecordsKey } from "./records-key";
import { audit } from "./audit";
import { withEvents, headSeq } from "./events/log";
import { checkRate } from "./rate-limits";
import { createInvite, inviteUrl, tokenOf } from "./invites";
import { inBackground } from "./background";
import { sweepAbandonedUploads } from "./files";
import type { BlobStore } from "./storage/types";
import type { ParticipantView, RoomSnapshot, inviteAnswer } from "@/lib/shared/api";
import type { z } from "zod";
import type { E2eeReport, signalBody } from "@/lib/shared/api";

type InviteView = z.infer<typeof inviteAnswer>;

/** A participant counts as online when its event stream touched it this recently. */
export const ONLINE_WINDOW_MS = 45_000;

export async function createConsult(db: Db, doctor: SessionUser, origin: string, scheduledAt?: Date) {
  if (doctor.role !== "doctor") throw new ApiError("forbidden", "Only doctors create consults");
  const now = new Date();
  const { consult, token } = await withEvents(db, null, async (tx) => {
    const consult = await tx.consult.create({
      data: {
        doctorId: doctor.id,
        status: scheduledAt && scheduledAt > now ? "scheduled" : "open",
        scheduledAt: scheduledAt ?? now,
        startedAt: scheduledAt && scheduledAt > now ? null : now,
        participants: { create: { userId: doctor.id, role: "doctor", state: "admitted", displayName: doctor.name, admittedAt: now } },
      },
    });
    const { token } = await createInvite(tx, consult.id, doctor.id, now);
    await audit({ action: "consult.created", actorUserId: doctor.id, consultId: consult.id }, tx);
    return { consult, token };
  });
  return { id: consult.id, url: inviteUrl(origin, token) };
}

export async function listDoctorConsults(db: Db, doctorId: string) {
  const rows = await db.consult.findMany({
    where: { doctorId },
    orderBy: { scheduledAt: "desc" },
    take: 200,
    select: {
      id: true,
      status: true,
      scheduledAt: true,
      endedAt: true,
      participants: { where: { role: "patient" }, select: { displayName: true, state: true, inviteId: true, sealedName: true } },
    },
  });
  const view = rows.map((c) => ({
    id: c.id,
    status: c.status,
    scheduledAt: c.scheduledAt,
    endedAt: c.endedAt,
    // The doctor's device opens sealed names (PROTOCOL §6); the server knows only "Patient".
    patients: c.participants.map((p) => ({ displayName: p.displayName, sealed: p.inviteId && p.sealedName ? { inviteId: p.inviteId, sealedName: p.sealedName } : null })),
  }));
  return {
    upcoming: view.filter((c) => c.status === "open" || c.status === "scheduled").reverse(),
    past: view.filter((c) => c.status === "ended" || c.status === "cancelled"),
  };
}

export async function roomSnapshot(db: Db, access: ConsultAccess, origin: string, now = new Date()): Promise<RoomSnapshot> {
  const consult = await db.consult.findUniqueOrThrow({
    where: { id: access.consult.id },
    select: {
      id: true,
      status: true,
      scheduledAt: true,
      eventSeq: true,
      doctor: { select: { name: true } },
      participants: {
        where: { state: { not: "removed" } },
        orderBy: { createdAt: "asc" },
        select: { id: true, userId: true, role: true, state: true, displayName: true, sealedName: true, inviteId: true, lastSeenAt: true },
      },
    },
  });
  const visible = access.participant.state === "admitted" ? consult.participants : consult.participants.filter((p) => p.id === access.participant.id || p.role === "doctor");
  const views: ParticipantView[] = visible.map((p) => ({
    id: p.id,
    userId: p.userId,
    role: p.role,
    state: p.state,
    displayName: p.displayName,
    online: p.lastSeenAt !== null && now.getTime() - p.lastSeenAt.getTime() < ONLINE_WINDOW_MS,
    ...(p.inviteId ? { inviteId: p.inviteId } : {}),
    // Only the doctor's device holds the key that opens it.
    ...(p.sealedName && access.participant.role === "doctor" ? { sealedName: p.sealedName } : {}),
  }));
  const me = views.find((p) => p.id === access.participant.id);
  if (!me) throw new ApiError("not_found", "No such consult");
  const patientAdmitted = consult.participants.some((p) => p.role === "patient" && p.state === "admitted");
  const open = consult.status === "open" || consult.status === "scheduled";
  return {
    userId: access.user.id,
    consult: { id: consult.id, status: consult.status, scheduledAt: consult.scheduledAt.toISOString(), doctorName: consult.doctor.name },
    me,
    participants: views,
    lastSeq: Number(consult.eventSeq),
    invite: access.isOwner && open && !patientAdmitted ? await currentInvite(db, access, origin, now) : null,
    recordsKey: access.isOwner ? await recordsKeyOf(db) : null,
  };
}

async function recordsKeyOf(db: Db): Promise<RoomSnapshot["recordsKey"]> {
  const k = await currentRecordsKey(db);
  return k ? { id: k.id, publicKey: k.publicKey, fingerprint: k.fingerprint } : null;
}

/**
 * The consult's latest invite that was not withdrawn, re-shown from its stored salt (reading the
 * room never creates one). None when the server's secret changed since: the doctor issues a new one.
 */
async function currentInvite(db: Db, access: ConsultAccess, origin: string, now: Date): Promise<InviteView | null> {
  const latest = await db.invite.findFirst({ where: { consultId: access.consult.id, revokedAt: null }, orderBy: { createdAt: "desc" } });
  const token = latest ? tokenOf(latest) : undefined;
  if (!latest || !token) return null;
  const state = latest.usedAt ? "used" : latest.expiresAt <= now ? "expired" : "live";
  return { id: latest.id, url: inviteUrl(origin, token), expiresAt: latest.expiresAt.toISOString(), state };
}

/** Issues a fresh invite link and withdraws the consult's unused ones. */
export async function newInvite(db: Db, access: ConsultAccess, origin: string) {
  const now = new Date();
  return withEvents(db, access.consult.id, async (tx) => {
    await tx.invite.updateMany({ where: { consultId: access.consult.id, usedAt: null, revokedAt: null }, data: { revokedAt: now } });
    const { invite, token } = await createInvite(tx, access.consult.id, access.user.id, now);
    await audit({ action: "invite.created", actorUserId: access.user.id, consultId: access.consult.id, detail: { inviteId: invite.id } }, tx);
    return { id: invite.id, url: inviteUrl(origin, token), expiresAt: invite.expiresAt.toISOString(), state: "live" as const };
  });
}

/** Withdraws an invite; a guest who joined with it is removed from the consult at once. */
export async function revokeInvite(db: Db, access: ConsultAccess, inviteId: string) {
  const now = new Date();
  await withEvents(db, access.consult.id, async (tx, emit) => {
    const invite = await tx.invite.findFirst({ where: { id: inviteId, consultId: access.consult.id }, include: { participant: true } });
    if (!invite) throw new ApiError("not_found", "No such invite");
    if (invite.revokedAt) return;
    await tx.invite.update({ where: { id: invite.id }, data: { revokedAt: now } });
    if (invite.participant && invite.participant.state !== "removed") {
      await tx.participant.update({ where: { id: invite.participant.id }, data: { state: "removed", removedAt: now } });
      emit({
        consultId: access.consult.id,
        kind: "admission",
        type: "removed",
        payload: { participantId: invite.participant.id, userId: invite.participant.userId, displayName: invite.participant.displayName, role: "patient", state: "removed" },
      });
    }
    await audit({ action: "invite.revoked", actorUserId: access.user.id, consultId: access.consult.id, detail: { inviteId } }, tx);
  });
}

export async function admit(db: Db, access: ConsultAccess, participantId: string) {
  const now = new Date();
  await withEvents(db, access.consult.id, async (tx, emit) => {
    const p = await tx.participant.findFirst({ where: { id: participantId, consultId: access.consult.id } });
    if (!p || p.state === "removed") throw new ApiError("not_found", "No such participant");
    if (p.role !== "patient") throw new ApiError("invalid_input", "Only a patient is admitted");
    if (p.state === "admitted") return; // admitting twice is harmless
    // Re-checked under the row lock: an end that raced this admit wins.
    const opened = await tx.consult.updateMany({ where: { id: access.consult.id, status: { in: ["open", "scheduled"] } }, data: { status: "open" } });
    if (opened.count !== 1) throw new ApiError("gone", "This consult has ended");
    await tx.consult.updateMany({ where: { id: access.consult.id, startedAt: null }, data: { startedAt: now } });
    await tx.participant.update({ where: { id: p.id }, data: { state: "admitted", admittedAt: now, leftAt: null } });
    emit({
      consultId: access.consult.id,
      kind: "admission",
      type: "admitted",
      from: access.participant.id,
      payload: { participantId: p.id, userId: p.userId, displayName: p.displayName, role: p.role, state: "admitted" },
    });
    await audit({ action: "participant.admitted", actorUserId: access.user.id, consultId: access.consult.id, detail: { participantId: p.id } }, tx);
  });
}

export async function leave(db: Db, access: ConsultAccess) {
  const now = new Date();
  await withEvents(db, access.consult.id, async (tx, emit) => {
    await tx.participant.update({ where: { id: access.participant.id }, data: { state: "left", leftAt: now } });
    emit({
      consultId: access.consult.id,
      kind: "admission",
      type: "left",
      from: access.participant.id,
      payload: { participantId: access.participant.id, userId: access.user.id, displayName: access.participant.displayName, role: access.participant.role, state: "left" },
    });
    await audit({ action: "participant.left", actorUserId: access.user.id, consultId: access.consult.id, detail: { participantId: access.participant.id } }, tx);
  });
}

/**
 * Comes back after leaving: a patient returns to the waiting room (the doctor admits them again),
 * the owner straight into the consult. Harmless when already in.
 */
export async function rejoin(db: Db, access: ConsultAccess) {
  if (access.participant.state !== "left") return;
  const state = access.isOwner ? "admitted" : "waiting";
  await withEvents(db, access.consult.id, async (tx, emit) => {
    const moved = await tx.participant.updateMany({ where: { id: access.participant.id, state: "left" }, data: { state, leftAt: null } });
    if (moved.count !== 1) return;
    emit({
      consultId: access.consult.id,
      kind: "admission",
      type: state,
      from: access.participant.id,
      payload: { participantId: access.participant.id, userId: access.user.id, displayName: access.participant.displayName, role: access.participant.role, state },
    });
    await audit({ action: "participant.rejoined", actorUserId: access.user.id, consultId: access.consult.id, detail: { participantId: access.participant.id, state } }, tx);
  });
}

/** Ends the consult for everyone: open streams are told, invites stop working. */
export async function endConsult(db: Db, access: ConsultAccess) {
  const now = new Date();
  await withEvents(db, access.consult.id, async (tx, emit) => {
    const c = await tx.consult.findUniqueOrThrow({ where: { id: access.consult.id }, select: { status: true } });
    if (c.status === "ended") return;
    await tx.consult.update({ where: { id: access.consult.id }, data: { status: "ended", endedAt: now } });
    await tx.invite.updateMany({ where: { consultId: access.consult.id, usedAt: null, revokedAt: null }, data: { revokedAt: now } });
    emit({ consultId: access.consult.id, kind: "consult", type: "ended", from: access.participant.id, payload: { status: "ended" } });
    await audit({ action: "consult.ended", actorUserId: access.user.id, consultId: access.consult.id }, tx);
  });
}

/**
 * Relays a signal. Participants in the call signal each other; a patient in the waiting room may
 * send the doctor one kind only, its handshake commitment (PROTOCOL §2.1, a hash that tells
 * nothing), so that admission starts at the reveal. The doctor's device keeps it until it admits.
 * Past the participant's signal limit it is refused (429) before anything else happens.
 */
export async function postSignal(db: Db, access: ConsultAccess, body: z.infer<typeof signalBody>) {
  const waiting = access.participant.state === "waiting";
  if (waiting && (body.type !== "commit" || body.to === undefined)) throw new ApiError("forbidden", "You are not in the consult yet: wait to be admitted");
  await checkRate(db, access.participant.id, "signal");
  return withEvents(db, access.consult.id, async (tx, emit) => {
    if (body.to !== undefined) {
      const to = await tx.participant.findFirst({ where: { id: body.to, consultId: access.consult.id, state: "admitted" }, select: { id: true, role: true } });
      if (waiting && to?.role !== "doctor") throw new ApiError("forbidden", "From the waiting room, only the doctor can be sent a handshake commitment");
      if (!to || to.id === access.participant.id) throw new ApiError("invalid_input", "`to` is not another participant in this consult");
    }
    emit({ consultId: access.consult.id, kind: "signal", type: body.type, from: access.participant.id, to: body.to ?? null, payload: body.payload });
    return { ok: true as const };
  });
}

export { headSeq };

const E2EE_ACTIONS: Record<E2eeReport, string> = {
  mismatch: "e2ee.code_mismatch",
  verified: "e2ee.verified",
  key_change_acknowledged: "e2ee.key_change_acknowledged",
  keys_sent_on_trust: "e2ee.keys_sent_on_trust",
};

/**
 * A participant's browser reports an encryption event: an audit row for the clinic (no keys, no
 * codes), marked as the client's claim. Counted with the participant's signals, so a browser cannot
 * flood the trail.
 */
export async function reportE2ee(db: Db, access: ConsultAccess, report: E2eeReport) {
  await checkRate(db, access.participant.id, "signal");
  await audit({ action: E2EE_ACTIONS[report], actorUserId: access.user.id, consultId: access.consult.id, detail: { participantId: access.participant.id, claimedBy: "client" } }, db);
}

/** The doctor's browser exported the decrypted transcript (lib/client/chat/transcript.ts): the client's claim, audited. */
export async function reportTranscriptExport(db: Db, access: ConsultAccess, messages: number) {
  await audit({ action: "transcript.exported", actorUserId: access.user.id, consultId: access.consult.id, detail: { messages, claimedBy: "client" } }, db);
}

/** The doctor ends the consult for everyone; its uploads still under way are aborted after the answer. */
export async function endConsultForAll(db: Db, store: BlobStore, access: ConsultAccess): Promise<void> {
  await endConsult(db, access);
  inBackground("aborting the uploads of an ended consult", () => sweepAbandonedUploads(db, store, { consultId: access.consult.id }));
}
