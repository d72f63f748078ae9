import "server-only";
// Session records (model Session): made at sign-in, checked by authz on every request, ended by
// signing out, "sign out everywhere", an admin, disabling or resetting the account, or idle logoff.
// The absolute lifetime matches the cookie's (12 h); staff are also signed out after
// IDLE_TIMEOUT_MINUTES without a reported interaction (the browser reports one at most every half
// minute while someone uses the page, and all along a call in progress).
import type { Db } from "../db";
import type { Tx } from "../events/log";
import { audit } from "../audit";
import type { SessionView } from "@/lib/shared/staff";

export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export type SignInMethod = "password" | "passkey" | "totp" | "recovery_code" | "invite";
export type EndReason = "sign_out" | "everywhere" | "admin" | "disabled" | "reset" | "idle";

export type SessionState = { userId: string; role: string; endedAt: Date | null; expiresAt: Date; lastActiveAt: Date };

export async function createSession(
  db: Db | Tx,
  s: { userId: string; method: SignInMethod; ip?: string | undefined; userAgent?: string | null | undefined; stage?: "full" | "second_factor" | "enrol" },
  now = new Date(),
): Promise<string> {
  const row = await db.session.create({
    data: {
      userId: s.userId,
      method: s.method,
      stage: s.stage ?? "full",
      ip: s.ip ?? null,
      userAgent: s.userAgent?.slice(0, 300) ?? null,
      createdAt: now,
      lastActiveAt: now,
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS),
    },
    select: { id: true },
  });
  return row.id;
}

/** Why a session no longer counts, or undefined when it does. Idle logoff applies to staff only. */
export function sessionProblem(s: SessionState | undefined, userId: string, idleMs: number, now = Date.now()): "unknown" | "ended" | "expired" | "idle" | undefined {
  if (!s || s.userId !== userId) return "unknown";
  if (s.endedAt) return "ended";
  if (s.expiresAt.getTime() <= now) return "expired";
  if (s.role !== "patient" && s.lastActiveAt.getTime() + idleMs <= now) return "idle";
  return undefined;
}

/** Ends one session (no-op when it already ended); true if this call ended it. */
export async function endSession(db: Db | Tx, id: string, reason: EndReason, now = new Date()): Promise<boolean> {
  const r = await db.session.updateMany({ where: { id, endedAt: null }, data: { endedAt: now, endedReason: reason } });
  return r.count === 1;
}

/** Ends every live session of a user; answers how many. */
export async function endUserSessions(db: Db | Tx, userId: string, reason: EndReason, now = new Date()): Promise<number> {
  const r = await db.session.updateMany({ where: { userId, endedAt: null }, data: { endedAt: now, endedReason: reason } });
  return r.count;
}

/** Records an idle logoff the first time authz finds one (the audit row says when and whose). */
export async function endIdleSession(db: Db, id: string, userId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    if (await endSession(tx, id, "idle")) await audit({ action: "auth.idle_logoff", actorUserId: userId, subjectUserId: userId }, tx);
  });
}

/** The browser reports an interaction (or a call in progress): the idle clock starts again. */
export async function touchSession(db: Db, id: string, now = new Date()): Promise<void> {
  await db.session.updateMany({ where: { id, endedAt: null }, data: { lastActiveAt: now } });
}

/** A user's live sessions, for their account page. */
export async function liveSessions(db: Db, userId: string, currentId: string | undefined, now = new Date()): Promise<SessionView[]> {
  const rows = await db.session.findMany({ where: { userId, endedAt: null, expiresAt: { gt: now } }, orderBy: { lastActiveAt: "desc" }, take: 50 });
  return rows.map((r) => ({
    id: r.id,
    method: r.method,
    createdAt: r.createdAt.toISOString(),
    lastActiveAt: r.lastActiveAt.toISOString(),
    ip: r.ip,
    userAgent: r.userAgent,
    current: r.id === currentId,
  }));
}
