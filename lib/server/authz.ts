import "server-only";
// The one authorization layer. Every route handler, page and event stream calls it, and it
// re-reads the caller's session, user and participant rows on every call: an ended session, a
// disabled user, a reset staff account, a removed participant or a revoked invite is out at once,
// whatever the session cookie says.
// A consult the caller has no part in is "not found", never "forbidden": ids leak nothing.
import { headers } from "next/headers";
import { sessionFrom, type CookieSession } from "./auth/session";
import { endIdleSession, sessionProblem } from "./auth/sessions";
import { getServerEnv } from "./env";
import { getDb, type Db } from "./db";
import { ApiError } from "./errors";

export type SessionUser = {
  id: string;
  name: string;
  email: string | null;
  role: "doctor" | "patient" | "admin";
  /** the Session row this request came with (auth/sessions.ts) */
  sessionId?: string | undefined;
  /** how far the sign-in got: only `full` reaches the app (auth/sessions.ts) */
  stage?: SessionStage | undefined;
};

export type SessionStage = "full" | "second_factor" | "enrol";
const asStage = (s: string): SessionStage => (s === "second_factor" || s === "enrol" ? s : "full");

/** The session cookie's user and session ids (next-auth's JWT, decoded as `auth()` does: see auth/session.ts). */
export async function cookieSession(): Promise<CookieSession | undefined> {
  return sessionFrom(new Headers(await headers()), getServerEnv().authSecret);
}

/**
 * The user of a live session, in one query (session and user rows): undefined when the session
 * ended, expired or went idle (an idle one is ended and audited here, the first time it is seen),
 * or the user is disabled, or is staff without a password (reset, or never set up).
 */
async function loadSessionUser(db: Db, cookie: CookieSession | undefined): Promise<SessionUser | undefined> {
  if (!cookie?.sessionId || !UUID.test(cookie.sessionId) || !UUID.test(cookie.userId)) return undefined;
  const s = await db.session.findUnique({
    where: { id: cookie.sessionId },
    select: {
      userId: true,
      endedAt: true,
      expiresAt: true,
      lastActiveAt: true,
      stage: true,
      user: { select: { id: true, name: true, email: true, role: true, disabledAt: true, passwordHash: true } },
    },
  });
  const problem = sessionProblem(s ? { ...s, role: s.user.role } : undefined, cookie.userId, getServerEnv().idleTimeoutMs);
  if (problem === "idle") await endIdleSession(db, cookie.sessionId, cookie.userId);
  if (!s || problem) return undefined;
  const user = s.user;
  if (user.disabledAt || (user.role !== "patient" && !user.passwordHash)) return undefined;
  return { id: user.id, name: user.name, email: user.email, role: user.role, sessionId: cookie.sessionId, stage: asStage(s.stage) };
}

/**
 * The signed-in user, re-read from the database; undefined when signed out, ended, idle or
 * disabled. It may be half signed in (`stage`): requireUser() and pages refuse that.
 */
export async function currentUser(): Promise<SessionUser | undefined> {
  const cookie = await cookieSession(); // reads the request first: a prerender stops here
  return cookie ? loadSessionUser(await getDb(), cookie) : undefined;
}

/** The signed-in user at one of `stages`: the second sign-in step and enrolling a factor use this. */
export async function requireSession(...stages: SessionStage[]): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) throw new ApiError("unauthenticated", "Sign in first");
  if (!stages.includes(user.stage ?? "full")) {
    if (user.stage === "second_factor") throw new ApiError("unauthenticated", "Finish signing in: enter the code from your authenticator app, a recovery code, or use your passkey.");
    if (user.stage === "enrol") throw new ApiError("forbidden", "Your clinic requires a second factor: add a passkey or an authenticator app on your account page first.");
    throw new ApiError("conflict", "You are already signed in.");
  }
  return user;
}

export async function requireUser(): Promise<SessionUser> {
  return requireSession("full");
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
  /** the session asked about (null: none asked) and its row's state */
  askedSessionId: string | null;
  sessionUserId: string | null;
  sessionEndedAt: Date | null;
  sessionExpiresAt: Date | null;
  sessionLastActiveAt: Date | null;
  sessionStage: string | null;
};

/** One question: this user's place in this consult, and (for requests) that this session of theirs is live. */
export type AccessKey = { userId: string; consultId: string; sessionId?: string | undefined };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Loads and checks the caller's place in a consult in one query (participant, user, invite,
 * consult and, when `sessionId` is given, session rows joined); undefined when they have none (any
 * more): no row, user disabled or reset, participant removed, the invite it came through revoked,
 * or the session ended, expired or idle. It runs on every request and on every stream's re-check,
 * so it is one SQL statement rather than Prisma's one query per relation.
 */
export async function loadConsultAccess(db: Db, userId: string | undefined, consultId: string, sessionId?: string): Promise<ConsultAccess | undefined> {
  if (!userId) return undefined;
  return (await loadConsultAccessMany(db, [{ userId, consultId, sessionId }]))[0];
}

const ACCESS_SQL = `SELECT p.id, p.role::text AS role, p.state::text AS state, p."displayName",
            u.id AS "userId", u.name AS "userName", u.email, u.role::text AS "userRole", u."disabledAt",
            (u.role <> 'patient' AND u."passwordHash" IS NULL) AS "pendingStaff",
            i."revokedAt" AS "inviteRevokedAt",
            c.id AS "consultId", c.status::text AS status, c."doctorId", c."scheduledAt",
            k.sid AS "askedSessionId", s."userId" AS "sessionUserId", s."endedAt" AS "sessionEndedAt",
            s."expiresAt" AS "sessionExpiresAt", s."lastActiveAt" AS "sessionLastActiveAt", s.stage AS "sessionStage"
       FROM "Participant" p
       JOIN "User" u ON u.id = p."userId"
       JOIN "Consult" c ON c.id = p."consultId"
       LEFT JOIN "Invite" i ON i.id = p."inviteId"`;

const keyOf = (consultId: string, userId: string, sessionId: string | null | undefined) => `${consultId.toLowerCase()}/${userId.toLowerCase()}/${sessionId?.toLowerCase() ?? ""}`;

/** loadConsultAccess for many keys in one query; answers in the order asked. */
export async function loadConsultAccessMany(db: Db, keys: readonly AccessKey[]): Promise<(ConsultAccess | undefined)[]> {
  const valid = keys.filter((k) => UUID.test(k.userId) && UUID.test(k.consultId) && (k.sessionId === undefined || UUID.test(k.sessionId)));
  let rows: AccessRow[] = [];
  if (valid.length > 0) {
    const values = valid.map((_, i) => `($${3 * i + 1}::uuid, $${3 * i + 2}::uuid, $${3 * i + 3}::uuid)`).join(", ");
    rows = await db.$queryRawUnsafe<AccessRow[]>(
      `${ACCESS_SQL}
       JOIN (VALUES ${values}) AS k(cid, uid, sid) ON p."consultId" = k.cid AND p."userId" = k.uid
       LEFT JOIN "Session" s ON s.id = k.sid`,
      ...valid.flatMap((k) => [k.consultId, k.userId, k.sessionId ?? null]),
    );
  }
  const found = new Map(rows.map((r) => [keyOf(r.consultId, r.userId, r.askedSessionId), r]));
  const idleMs = getServerEnv().idleTimeoutMs;
  const now = Date.now();
  return keys.map((k) => toAccess(found.get(keyOf(k.consultId, k.userId, k.sessionId)), idleMs, now));
}

function toAccess(p: AccessRow | undefined, idleMs: number, now: number): ConsultAccess | undefined {
  if (!p || p.disabledAt || p.pendingStaff || p.state === "removed" || p.inviteRevokedAt) return undefined;
  if (p.askedSessionId) {
    const session =
      p.sessionUserId && p.sessionExpiresAt && p.sessionLastActiveAt
        ? { userId: p.sessionUserId, role: p.userRole, endedAt: p.sessionEndedAt, expiresAt: new Date(p.sessionExpiresAt), lastActiveAt: new Date(p.sessionLastActiveAt) }
        : undefined;
    if (sessionProblem(session, p.userId, idleMs, now) || p.sessionStage !== "full") return undefined;
  }
  const user: SessionUser = { id: p.userId, name: p.userName, email: p.email, role: p.userRole, sessionId: p.askedSessionId ?? undefined, stage: p.askedSessionId ? "full" : undefined };
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
  const cookie = await cookieSession();
  if (!cookie?.sessionId) throw new ApiError("unauthenticated", "Sign in first, or open your invite link again");
  const db = await getDb();
  const access = await loadConsultAccess(db, cookie.userId, consultId, cookie.sessionId);
  if (!access) {
    // Tell an ended session or a disabled or deleted account apart from a consult that is not theirs.
    const user = await loadSessionUser(db, cookie);
    if (!user) throw new ApiError("unauthenticated", "Your session has ended. Sign in again, or open your invite link again.");
    if (user.stage !== "full") throw new ApiError("unauthenticated", "Finish signing in first.");
    throw new ApiError("not_found", "No such consult");
  }
  return checkAccess(access, opts);
}
