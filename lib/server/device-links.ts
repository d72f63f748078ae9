import "server-only";
// Linking a second device (PROTOCOL §7.2) as the server sees it: a channel between two devices of
// one person, open 10 minutes, on which they run the call's handshake (commit, reveal, confirm) and
// the key holder sends its grant. The server relays the messages in order and keeps the link's
// state; it cannot read the grant, and it cannot pass a device of its own off as the person's: the
// two people-facing screens compare a call code derived from both devices' signed hellos.
//
// The code only finds the link among the person's own open links (50 random bits); it is not what
// makes the link safe, so joining needs no rate limit of its own beyond the second-factor sign-in.
import { randomBytes } from "node:crypto";
import type { LinkMessage } from "@/lib/shared/devices";
import type { SessionUser } from "./authz";
import type { Db } from "./db";
import type { Tx } from "./events/log";
import { ApiError } from "./errors";
import { audit } from "./audit";
import { ownActiveDevice } from "./devices";
import { hasSecondFactor } from "./auth/second-factor";

export const LINK_TTL_MS = 10 * 60_000;
/** commit, reply commit, two reveals, two confirms, a grant: room for a restart or two */
export const LINK_MAX_MESSAGES = 24;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function newLinkCode(): string {
  const bytes = randomBytes(10);
  return [...bytes].map((b) => BASE32[b & 31]).join("");
}

function staffOnly(me: SessionUser): void {
  if (me.role === "patient") throw new ApiError("forbidden", "Only clinic staff link devices");
}

/** A link of the caller's that is still running, and which side `deviceId` is on. */
async function liveLink(db: Db | Tx, me: SessionUser, linkId: string, deviceId: string, now = new Date()) {
  const link = await db.deviceLink.findUnique({ where: { id: linkId } });
  if (!link || link.userId !== me.id) throw new ApiError("not_found", "No such device link");
  const side = link.fromDeviceId === deviceId ? "from" : link.toDeviceId === deviceId ? "to" : undefined;
  if (!side) throw new ApiError("forbidden", "This device is not on this link");
  // A removed device takes no further part, not even reading what is left of its link.
  await ownActiveDevice(db, me, deviceId);
  return { link, side, expired: link.expiresAt <= now } as const;
}

/** "Add a device" on a device that holds the keys: a new link; the device's earlier open links end. */
export async function createLink(db: Db, me: SessionUser, deviceId: string, ip?: string, now = new Date()) {
  staffOnly(me);
  return db.$transaction(async (tx) => {
    const d = await ownActiveDevice(tx, me, deviceId);
    if (!d.boxKey) throw new ApiError("conflict", "This device has no box key yet: reload the page and try again");
    await tx.deviceLink.updateMany({ where: { userId: me.id, fromDeviceId: deviceId, state: { in: ["open", "joined"] } }, data: { state: "cancelled", finishedAt: now } });
    const link = await tx.deviceLink.create({ data: { userId: me.id, code: newLinkCode(), fromDeviceId: deviceId, expiresAt: new Date(now.getTime() + LINK_TTL_MS) } });
    await audit({ action: "device.link_started", actorUserId: me.id, detail: { linkId: link.id, deviceId }, ip }, tx);
    return { id: link.id, code: link.code, expiresAt: link.expiresAt.toISOString() };
  });
}

/** The new device joins with the code: a staff sign-in with a second factor, as restoring a backup needs. */
export async function joinLink(db: Db, me: SessionUser, code: string, deviceId: string, ip?: string, now = new Date()) {
  staffOnly(me);
  if (!(await hasSecondFactor(db, me))) {
    throw new ApiError("forbidden", "Linking a device needs a sign-in with a second factor (a passkey, or your password and an authenticator code). Sign out and sign in again with one.");
  }
  return db.$transaction(async (tx) => {
    await ownActiveDevice(tx, me, deviceId);
    const link = await tx.deviceLink.findUnique({ where: { userId_code: { userId: me.id, code } } });
    if (!link || link.state !== "open" || link.expiresAt <= now) throw new ApiError("not_found", "No open link has that code. Check it, or press Add a device again on your other device.");
    if (link.fromDeviceId === deviceId) throw new ApiError("invalid_input", "This is the device that made the link: enter the code on the new device");
    const { count } = await tx.deviceLink.updateMany({ where: { id: link.id, state: "open" }, data: { state: "joined", toDeviceId: deviceId } });
    if (count === 0) throw new ApiError("conflict", "Another device joined this link first");
    await audit({ action: "device.link_joined", actorUserId: me.id, detail: { linkId: link.id, deviceId, fromDeviceId: link.fromDeviceId }, ip }, tx);
    return { id: link.id, fromDeviceId: link.fromDeviceId, expiresAt: link.expiresAt.toISOString() };
  });
}

/** Relays one handshake message from a device on the link to the other, in order. */
export async function postLinkMessage(db: Db, me: SessionUser, linkId: string, deviceId: string, message: LinkMessage, now = new Date()): Promise<{ seq: number }> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM "DeviceLink" WHERE id = ${linkId}::uuid FOR UPDATE`;
    const { link, side, expired } = await liveLink(tx, me, linkId, deviceId, now);
    if (expired || link.state !== "joined") throw new ApiError("conflict", link.state === "open" && !expired ? "No device has joined this link yet" : "This link has ended");
    if (message.type === "grant" && side !== "from") throw new ApiError("forbidden", "Only the device that made the link sends the grant");
    if (link.messageSeq >= LINK_MAX_MESSAGES) throw new ApiError("rate_limited", "Too many messages on this link: start again with Add a device");
    const seq = link.messageSeq + 1;
    await tx.deviceLink.update({ where: { id: link.id }, data: { messageSeq: seq } });
    const { type, ...payload } = message;
    await tx.deviceLinkMessage.create({ data: { linkId: link.id, seq, fromDeviceId: deviceId, type, payload } });
    return { seq };
  });
}

/** The link's state and the other device's messages after `after`. */
export async function readLink(db: Db, me: SessionUser, linkId: string, deviceId: string, after: number, now = new Date()) {
  const { link, expired } = await liveLink(db, me, linkId, deviceId, now);
  const rows = await db.deviceLinkMessage.findMany({ where: { linkId, seq: { gt: after }, fromDeviceId: { not: deviceId } }, orderBy: { seq: "asc" } });
  const state = expired && (link.state === "open" || link.state === "joined") ? "cancelled" : link.state;
  return {
    state,
    fromDeviceId: link.fromDeviceId,
    toDeviceId: link.toDeviceId,
    expiresAt: link.expiresAt.toISOString(),
    messages: rows.map((r) => ({ seq: r.seq, from: r.fromDeviceId, message: { type: r.type, ...(r.payload as Record<string, unknown>) } })),
  };
}

/**
 * How a link ended. "linked" comes from the key holder once both people confirmed the code and it
 * sent its grant (the new device is then shown as linked); "mismatch" (the codes differed) and
 * "cancelled" from either side. Audited: a failed link is shown to the person in the audit log.
 */
export async function finishLink(db: Db, me: SessionUser, linkId: string, deviceId: string, outcome: "linked" | "mismatch" | "cancelled", ip?: string, now = new Date()) {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM "DeviceLink" WHERE id = ${linkId}::uuid FOR UPDATE`;
    const { link, side, expired } = await liveLink(tx, me, linkId, deviceId, now);
    if (link.state !== "open" && link.state !== "joined") {
      if (link.state === (outcome === "mismatch" ? "failed" : outcome)) return { state: link.state };
      throw new ApiError("conflict", "This link has already ended");
    }
    if (outcome === "linked") {
      if (side !== "from") throw new ApiError("forbidden", "Only the device that made the link completes it");
      if (expired || link.state !== "joined" || !link.toDeviceId) throw new ApiError("conflict", "This link cannot complete: no device joined it in time");
      await ownActiveDevice(tx, me, link.toDeviceId);
      await tx.device.updateMany({ where: { id: { in: [link.toDeviceId, link.fromDeviceId] } }, data: { linkedAt: now } });
    }
    const state = outcome === "linked" ? "linked" : outcome === "mismatch" ? "failed" : "cancelled";
    await tx.deviceLink.update({ where: { id: link.id }, data: { state, finishedAt: now } });
    const action = outcome === "linked" ? "device.linked" : outcome === "mismatch" ? "device.link_failed" : "device.link_cancelled";
    await audit({ action, actorUserId: me.id, detail: { linkId: link.id, fromDeviceId: link.fromDeviceId, toDeviceId: link.toDeviceId, by: deviceId }, ip }, tx);
    return { state };
  });
}
