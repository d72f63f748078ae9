import "server-only";
// Invite links. A token is 256 bits: HMAC-SHA256(key from AUTH_SECRET, label ‖ invite id ‖ random
// salt), base64url. The database keeps only SHA-256(token) for lookup (and the salt), so a stolen
// database alone cannot produce a working link, while the owner doctor's room can show the link
// again after a reload. Rotating AUTH_SECRET makes outstanding links unshowable (the room then
// issues a new one). An invite is for one consult, expires, is single-use and revocable.
import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from "node:crypto";
import type { Db } from "./db";
import type { Tx } from "./events/log";
import { getServerEnv } from "./env";

export const INVITE_TTL_MS = 24 * 60 * 60 * 1000;

function inviteKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "parley/invite-key", "parley/v1/invite", 32));
}

export function deriveInviteToken(secret: string, inviteId: string, salt: Uint8Array): string {
  return createHmac("sha256", inviteKey(secret)).update("parley/v1/invite-token\0").update(inviteId).update(salt).digest("base64url");
}

export function hashInviteToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(token).digest());
}

export function inviteUrl(origin: string, token: string): string {
  return `${origin}/join/${token}`;
}

export async function createInvite(tx: Tx, consultId: string, createdById: string, now = new Date()) {
  const id = randomUUID();
  const salt = new Uint8Array(randomBytes(16));
  const token = deriveInviteToken(getServerEnv().authSecret, id, salt);
  const invite = await tx.invite.create({
    data: {
      id,
      consultId,
      createdById,
      salt,
      tokenHash: hashInviteToken(token),
      expiresAt: new Date(now.getTime() + INVITE_TTL_MS),
    },
  });
  return { invite, token };
}

/** The token of a stored invite, if this server's secret still produces it. */
export function tokenOf(invite: { id: string; salt: Uint8Array; tokenHash: Uint8Array }): string | undefined {
  const token = deriveInviteToken(getServerEnv().authSecret, invite.id, invite.salt);
  return Buffer.from(hashInviteToken(token)).equals(Buffer.from(invite.tokenHash)) ? token : undefined;
}

export type InviteStatus = "valid" | "unknown" | "expired" | "revoked" | "used" | "ended";

export const INVITE_STATUS_TEXT: Record<Exclude<InviteStatus, "valid">, string> = {
  unknown: "This invite link is not valid. Check that you copied all of it, or ask your clinic for a new one.",
  expired: "This invite link has expired. Ask your clinic for a new one.",
  revoked: "This invite link was withdrawn by your clinic. Ask them for a new one.",
  used: "This invite link has already been used. If that was you on another device, ask your clinic for a new link.",
  ended: "This consult has ended. If you need another one, contact your clinic.",
};

export async function lookupInvite(db: Db, token: string, now = new Date()) {
  const invite = await db.invite.findUnique({
    where: { tokenHash: hashInviteToken(token) },
    include: { consult: { select: { id: true, status: true, doctor: { select: { name: true } } } } },
  });
  let status: InviteStatus = "valid";
  if (!invite) status = "unknown";
  else if (invite.consult.status === "ended" || invite.consult.status === "cancelled") status = "ended";
  else if (invite.revokedAt) status = "revoked";
  else if (invite.usedAt) status = "used";
  else if (invite.expiresAt <= now) status = "expired";
  return { status, invite };
}
