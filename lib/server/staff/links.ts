import "server-only";
// One-time account links. A token is 32 random bytes (base64url), shown once to whoever asked for
// it; the database keeps only SHA-256(token). A link works once, expires, and is revoked when a
// newer link for the same person is made (or, for setup links, when a newer setup link is made),
// so at most one link per person is live at a time.
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";
import type { Tx } from "../events/log";

export type LinkPurpose = "setup" | "password";

export const LINK_TTL_MS: Record<LinkPurpose, number> = {
  /** the issue's rule: a setup link lasts one day */
  setup: 24 * 60 * 60 * 1000,
  /** a new colleague may not read their mail the same day */
  password: 72 * 60 * 60 * 1000,
};

export const LINK_PATH: Record<LinkPurpose, string> = { setup: "/setup/", password: "/account/setup/" };

export function hashLinkToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(token).digest());
}

export type IssuedLink = { token: string; expiresAt: Date };

/** Makes a link, revoking the person's (or the previous setup) links that are still live. */
export async function issueLink(tx: Tx, purpose: LinkPurpose, opts: { userId?: string | undefined; createdById?: string | null | undefined }, now = new Date()): Promise<IssuedLink> {
  const live = { usedAt: null, revokedAt: null, expiresAt: { gt: now } };
  await tx.accountLink.updateMany({
    where: purpose === "setup" ? { purpose, ...live } : { purpose, userId: opts.userId ?? null, ...live },
    data: { revokedAt: now },
  });
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS[purpose]);
  await tx.accountLink.create({
    data: { purpose, tokenHash: hashLinkToken(token), userId: opts.userId ?? null, createdById: opts.createdById ?? null, expiresAt },
  });
  return { token, expiresAt };
}

export function linkUrl(origin: string, purpose: LinkPurpose, token: string): string {
  return `${origin}${LINK_PATH[purpose]}${token}`;
}

export type LinkStatus = "valid" | "unknown" | "expired" | "used";

export const LINK_STATUS_TEXT: Record<Exclude<LinkStatus, "valid">, string> = {
  unknown: "This link is not valid. Check that you copied all of it, or ask your clinic admin for a new one.",
  expired: "This link has expired. Ask your clinic admin for a new one.",
  used: "This link has already been used. Sign in with your password, or ask your clinic admin for a new link.",
};

export type FoundLink = { id: string; userId: string | null };

/** What a token is worth now, without using it (the page shows the form only for a valid one). */
export async function findLink(db: Db | Tx, purpose: LinkPurpose, token: string, now = new Date()): Promise<{ status: LinkStatus; link?: FoundLink }> {
  const row = await db.accountLink.findUnique({ where: { tokenHash: hashLinkToken(token) } });
  if (!row || row.purpose !== purpose) return { status: "unknown" };
  // A revoked link reads as used: the person has a newer one, or the admin reset them again.
  if (row.usedAt || row.revokedAt) return { status: "used" };
  if (row.expiresAt <= now) return { status: "expired" };
  return { status: "valid", link: { id: row.id, userId: row.userId } };
}

/**
 * Marks a valid link used, inside the caller's transaction. The conditional update makes two
 * simultaneous submissions of one link end with exactly one winner.
 */
export async function consumeLink(tx: Tx, id: string, now = new Date()): Promise<boolean> {
  const r = await tx.accountLink.updateMany({ where: { id, usedAt: null, revokedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  return r.count === 1;
}
