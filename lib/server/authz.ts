import "server-only";
// The one authorization layer. Every route handler, page and event stream calls it, and it
// re-reads the caller's user row and participant row on every call: a disabled user, a reset staff
// account, a removed participant or a revoked invite is out at once, whatever the session cookie says.
// A consult the caller has no part in is "not found", never "forbidden": ids leak nothing.
import { headers } from "next/headers";
import { sessionUserIdFrom } from "./auth/session";
import { getServerEnv } from "./env";
import { getDb, type Db } from "./db";
import { ApiError } from "./errors";

export type SessionUser = { id: string; name: string; email: string | null; role: "doctor" | "patient" | "admin" };

/** The session cookie's user id (next-auth's JWT, decoded as `auth()` does: see auth/session.ts). */
export async function sessionUserId(): Promise<string | undefined> {
  return sessionUserIdFrom(new Headers(await headers()), getServerEnv().authSecret);
}

async function loadUser(db: Db, id: string | undefined): Promise<SessionUser | undefined> {
  if (!id) return undefined;
  const user = await db.user.findUnique({ where: { id }, select: { id: true, name: true, email: true, role: true, disabledAt: true, passwordHash: true } });
  if (!user || user.disabledAt || (user.role !== "patient" && !user.passwordHash)) return undefined;
  return { id: user.id, name: user.name, email: user.email, role: user.role };
}

/** The signed-in user, re-read from the database; undefined when signed out or disabled. */
export async function currentUser(): Promise<SessionUser | undefined> {
  const id = await sessionUserId(); // reads the request first: a prerender stops here
  return id ? loadUser(await getDb(), id) : undefined;
}

export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) throw new ApiError("unauthenticated", "Sign in first");
  return user;
}

export async function requireRole(...roles: SessionUser["role"][]): Promise<SessionUser> {
  const user = await requireUser();
  if (!roles.includes(user.role)) throw new ApiError("forbidden", "Your account cannot do this");
  return user;
}

export type ConsultAccess = {
  user: SessionUser;
  participant: { id: string; role: "doctor" | "patient"; state: "waiting" | "admitted" | "left" | "removed"; displayName: string };
  consult: { id: string; status: "scheduled" | "open" | "ended" | "cancelled"; doctorId: string; scheduledAt: Date };
  /** the doctor who owns the consult */
  isOwner: boolean;
};

type AccessOptions = {
  /** only the owner doctor */
  owner?: boolean;
  /** only participants in the consult (not the waiting room) */
  admitted?: boolean;
  /** refuse when the consult has ended */
  open?: boolean;
};

type AccessRow = {
  id: string;
  role: "doctor" | "patient";
  state: ConsultAccess["participant"]["state"];
  displayName: string;
  userId: string;
  userName: string;
  email: string | null;
  userRole: SessionUser["role"];
  disabledAt: Date | null;
  /** staff without a password: reset (every session ends) or never set up */
  pendingStaff: boolean;
  inviteRevokedAt: Date | null;
  consultId: string;
  status: ConsultAccess["consult"]["status"];
  doctorId: string;
  scheduledAt: Date;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Loads and checks the caller's place in a consult in one query (participant, user, invite and
 * consult rows joined); undefined when they have none (any more): no row, user disabled,
 * participant removed, or the invite it came through revoked. It runs on every request and on
 * every stream's re-check, so it is one SQL statement rather than Prisma's one query per relation.
 */
export async function loadConsultAccess(db: Db, userId: string | undefined, consultId: string): Promise<ConsultAccess | undefined> {
  if (!userId) return undefined;
  return (await loadConsultAccessMany(db, [{ userId, consultId }]))[0];
}

const ACCESS_SQL = `SELECT p.id, p.role::text AS role, p.state::text AS state, p."displayName",
            u.id AS "userId", u.name AS "userName", u.email, u.role::text AS "userRole", u."disabledAt",
            (u.role <> 'patient' AND u."passwordHash" IS NULL) AS "pendingStaff",
            i."revokedAt" AS "inviteRevokedAt",
            c.id AS "consultId", c.status::text AS status, c."doctorId", c."scheduledAt"
       FROM "Participant" p
       JOIN "User" u ON u.id = p."userId"
       JOIN "Consult" c ON c.id = p."consultId"
       LEFT JOIN "Invite" i ON i.id = p."inviteId"`;

/** loadConsultAccess for many (user, consult) pairs in one query; answers in the order asked. */
export async function loadConsultAccessMany(db: Db, keys: readonly { userId: string; consultId: string }[]): Promise<(ConsultAccess | undefined)[]> {
  const valid = keys.filter((k) => UUID.test(k.userId) && UUID.test(k.consultId));
  let rows: AccessRow[] = [];
  if (valid.length === 1 && valid[0]) {
    rows = await db.$queryRawUnsafe<AccessRow[]>(`${ACCESS_SQL} WHERE p."consultId" = $1::uuid AND p."userId" = $2::uuid`, valid[0].consultId, valid[0].userId);
  } else if (valid.length > 1) {
    const pairs = valid.map((_, i) => `($${2 * i + 1}::uuid, $${2 * i + 2}::uuid)`).join(", ");
    rows = await db.$queryRawUnsafe<AccessRow[]>(`${ACCESS_SQL} WHERE (p."consultId", p."userId") IN (${pairs})`, ...valid.flatMap((k) => [k.consultId, k.userId]));
  }
  const found = new Map(rows.map((r) => [`${r.userId}/${r.consultId}`, r]));
  return keys.map((k) => toAccess(found.get(`${k.userId.toLowerCase()}/${k.consultId.toLowerCase()}`)));
}

function toAccess(p: AccessRow | undefined): ConsultAccess | undefined {
  if (!p || p.disabledAt || p.pendingStaff || p.state === "removed" || p.inviteRevokedAt) return undefined;
  const user: SessionUser = { id: p.userId, name: p.userName, email: p.email, role: p.userRole };
  return {
    user,
    participant: { id: p.id, role: p.role, state: p.state, displayName: p.displayName },
    consult: { id: p.consultId, status: p.status, doctorId: p.doctorId, scheduledAt: new Date(p.scheduledAt) },
    isOwner: p.doctorId === user.id && p.role === "doctor",
  };
}

export function checkAccess(access: ConsultAccess, opts: AccessOptions = {}): ConsultAccess {
  if (opts.owner && !access.isOwner) throw new ApiError("forbidden", "Only the consult's doctor can do this");
  if (opts.admitted && access.participant.state !== "admitted") {
    throw new ApiError("forbidden", "You are not in the consult yet: wait to be admitted");
  }
  if (opts.open && (access.consult.status === "ended" || access.consult.status === "cancelled")) {
    throw new ApiError("gone", "This consult has ended");
  }
  return access;
}

export async function requireConsultAccess(consultId: string, opts: AccessOptions = {}): Promise<ConsultAccess> {
  const userId = await sessionUserId();
  if (!userId) throw new ApiError("unauthenticated", "Sign in first, or open your invite link again");
  const db = await getDb();
  const access = await loadConsultAccess(db, userId, consultId);
  if (!access) {
    // Tell a disabled or deleted account apart from a consult that is not theirs.
    if (!(await loadUser(db, userId))) throw new ApiError("unauthenticated", "Sign in first");
    throw new ApiError("not_found", "No such consult");
  }
  return checkAccess(access, opts);
}
