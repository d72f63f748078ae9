import "server-only";
// Staff accounts: what a clinic admin does at /admin and with `npm run admin`, and the two
// one-time links that give a person a password (first run's setup link, a new colleague's or a
// reset account's password link). Every change writes its audit row in the same transaction, with
// the admin as actor and the staff member as subject. The clinic always keeps an active admin:
// the last one can be neither disabled nor demoted (a lock serialises the check across instances).
import type { Db } from "../db";
import type { Tx } from "../events/log";
import { audit } from "../audit";
import { ApiError } from "../errors";
import { hashPassword } from "../auth/password";
import { endUserSessions } from "../auth/sessions";
import { removeAllFactors } from "../auth/factors";
import { newPasswordProblem } from "../auth/password-policy";
import { consumeLink, findLink, issueLink, linkUrl, LINK_STATUS_TEXT, type LinkPurpose, type LinkStatus } from "./links";
import type { LinkView, StaffRole, StaffState, StaffView } from "@/lib/shared/staff";

/** Who acts: an admin signed in at /admin, or someone with shell access to the server (`npm run admin`). */
export type StaffActor = { userId: string | null; ip?: string | undefined; via: "admin" | "cli" | "self" };

type StaffRow = { id: string; name: string; email: string | null; role: string; passwordHash: string | null; disabledAt: Date | null; createdAt: Date };

const STAFF_SELECT = { id: true, name: true, email: true, role: true, passwordHash: true, disabledAt: true, createdAt: true } as const;

/** Serialises changes that could leave the clinic without an active admin, across instances. */
const ADMIN_LOCK = 72707371;

export function staffState(u: Pick<StaffRow, "passwordHash" | "disabledAt">): StaffState {
  if (u.disabledAt) return "disabled";
  return u.passwordHash ? "active" : "pending";
}

function view(u: StaffRow): StaffView {
  return { id: u.id, name: u.name, email: u.email ?? "", role: u.role === "admin" ? "admin" : "doctor", state: staffState(u), createdAt: u.createdAt.toISOString() };
}

function linkView(origin: string, purpose: LinkPurpose, l: { token: string; expiresAt: Date }): LinkView {
  return { url: linkUrl(origin, purpose, l.token), expiresAt: l.expiresAt.toISOString() };
}

const actorFields = (actor: StaffActor) => ({ actorUserId: actor.userId, ip: actor.ip });
const via = (actor: StaffActor) => ({ via: actor.via });

export async function listStaff(db: Db): Promise<StaffView[]> {
  const rows = await db.user.findMany({ where: { role: { in: ["doctor", "admin"] } }, orderBy: { createdAt: "asc" }, select: STAFF_SELECT });
  return rows.map(view);
}

const ACTIVE_ADMIN = { role: "admin", disabledAt: null, passwordHash: { not: null } } as const;

export async function hasActiveAdmin(db: Db | Tx): Promise<boolean> {
  return (await db.user.count({ where: ACTIVE_ADMIN })) > 0;
}

async function loadStaff(tx: Tx, id: string): Promise<StaffRow> {
  const u = await tx.user.findUnique({ where: { id }, select: STAFF_SELECT });
  if (!u || (u.role !== "doctor" && u.role !== "admin")) throw new ApiError("not_found", "No such staff member");
  return u;
}

/** Refuses a change that would leave no active admin: `target` is about to stop being one. */
async function keepAnAdmin(tx: Tx, target: StaffRow): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_LOCK})`;
  if (target.role !== "admin" || staffState(target) !== "active") return;
  const others = await tx.user.count({ where: { ...ACTIVE_ADMIN, id: { not: target.id } } });
  if (others === 0) {
    throw new ApiError("conflict", "This is the clinic's last active admin. Make another admin first, then try again.");
  }
}

function checkPassword(password: string, who: { email: string; name: string }): void {
  const problem = newPasswordProblem(password, who);
  if (problem) throw new ApiError("invalid_input", problem, [{ path: "password", message: problem }]);
}

export async function createStaffMember(db: Db, actor: StaffActor, input: { name: string; email: string; role: StaffRole }, origin: string): Promise<{ staff: StaffView; link: LinkView }> {
  return db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new ApiError("conflict", "There is already an account with this email. Find it in the list, or use another email.");
    }
    const u = await tx.user.create({ data: { name: input.name, email: input.email, role: input.role }, select: STAFF_SELECT });
    const link = await issueLink(tx, "password", { userId: u.id, createdById: actor.userId });
    await audit({ action: "staff.created", ...actorFields(actor), subjectUserId: u.id, detail: { role: input.role, ...via(actor) } }, tx);
    await audit({ action: "staff.link_issued", ...actorFields(actor), subjectUserId: u.id, detail: { purpose: "password", ...via(actor) } }, tx);
    return { staff: view(u), link: linkView(origin, "password", link) };
  });
}

export async function disableStaff(db: Db, actor: StaffActor, id: string): Promise<StaffView> {
  return db.$transaction(async (tx) => {
    const u = await loadStaff(tx, id);
    if (u.disabledAt) return view(u);
    await keepAnAdmin(tx, u);
    const updated = await tx.user.update({ where: { id }, data: { disabledAt: new Date() }, select: STAFF_SELECT });
    const sessions = await endUserSessions(tx, id, "disabled");
    await audit({ action: "staff.disabled", ...actorFields(actor), subjectUserId: id, detail: { sessionsEnded: sessions, ...via(actor) } }, tx);
    return view(updated);
  });
}

export async function enableStaff(db: Db, actor: StaffActor, id: string): Promise<StaffView> {
  return db.$transaction(async (tx) => {
    const u = await loadStaff(tx, id);
    if (!u.disabledAt) return view(u);
    const updated = await tx.user.update({ where: { id }, data: { disabledAt: null }, select: STAFF_SELECT });
    await audit({ action: "staff.enabled", ...actorFields(actor), subjectUserId: id, detail: via(actor) }, tx);
    return view(updated);
  });
}

/**
 * A new one-time password link; the old password, every session and the second factors stop
 * working at once. Allowed for the last admin too: it is how a
 * locked-out admin gets back in (`npm run admin -- reset <email>`).
 */
export async function resetStaff(db: Db, actor: StaffActor, id: string, origin: string): Promise<{ staff: StaffView; link: LinkView }> {
  return db.$transaction(async (tx) => {
    await loadStaff(tx, id);
    const u = await tx.user.update({ where: { id }, data: { passwordHash: null, passwordChangedAt: new Date() }, select: STAFF_SELECT });
    const sessions = await endUserSessions(tx, id, "reset");
    // A reset is for a person who lost access: their factors go too, and they enrol again.
    const factors = await removeAllFactors(tx, id);
    const link = await issueLink(tx, "password", { userId: id, createdById: actor.userId });
    await audit({ action: "staff.reset", ...actorFields(actor), subjectUserId: id, detail: { sessionsEnded: sessions, factorsRemoved: factors, ...via(actor) } }, tx);
    await audit({ action: "staff.link_issued", ...actorFields(actor), subjectUserId: id, detail: { purpose: "password", ...via(actor) } }, tx);
    return { staff: view(u), link: linkView(origin, "password", link) };
  });
}

export async function changeStaffRole(db: Db, actor: StaffActor, id: string, role: StaffRole): Promise<StaffView> {
  return db.$transaction(async (tx) => {
    const u = await loadStaff(tx, id);
    if (u.role === role) return view(u);
    if (role !== "admin") await keepAnAdmin(tx, u);
    const updated = await tx.user.update({ where: { id }, data: { role }, select: STAFF_SELECT });
    await audit({ action: "staff.role_changed", ...actorFields(actor), subjectUserId: id, detail: { from: u.role, to: role, ...via(actor) } }, tx);
    return view(updated);
  });
}

/** Ends every session of a staff member ("sign out everywhere": by an admin, or by themselves). */
export async function endStaffSessions(db: Db, actor: StaffActor, id: string): Promise<number> {
  return db.$transaction(async (tx) => {
    await loadStaff(tx, id);
    const count = await endUserSessions(tx, id, actor.userId === id ? "everywhere" : "admin");
    await audit({ action: "staff.sessions_ended", ...actorFields(actor), subjectUserId: id, detail: { count, ...via(actor) } }, tx);
    return count;
  });
}

/** A one-time link that creates an admin account: printed at first start and by `npm run admin -- setup-link`. */
export async function issueSetupLink(db: Db, actor: StaffActor | null, origin: string): Promise<LinkView> {
  return db.$transaction(async (tx) => {
    const link = await issueLink(tx, "setup", { createdById: actor?.userId ?? null });
    await audit({ action: "setup.link_issued", actorUserId: actor?.userId ?? null, ip: actor?.ip, detail: { via: actor?.via ?? "start" } }, tx);
    return linkView(origin, "setup", link);
  });
}

function refuseLink(status: Exclude<LinkStatus, "valid">): never {
  throw new ApiError(status === "unknown" ? "not_found" : "gone", LINK_STATUS_TEXT[status]);
}

/** Redeems a setup link: a new admin account with this password. */
export async function completeSetup(db: Db, input: { token: string; name: string; email: string; password: string }, ip?: string): Promise<{ userId: string; email: string; role: StaffRole }> {
  checkPassword(input.password, input);
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const found = await findLink(tx, "setup", input.token);
    if (found.status !== "valid" || !found.link) refuseLink(found.status === "valid" ? "unknown" : found.status);
    if (await tx.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new ApiError("conflict", "There is already an account with this email. Use another email, or reset that account with `npm run admin -- reset <email>`.");
    }
    if (!(await consumeLink(tx, found.link.id))) refuseLink("used");
    const u = await tx.user.create({ data: { name: input.name, email: input.email, role: "admin", passwordHash, passwordChangedAt: new Date() } });
    await audit({ action: "setup.completed", actorUserId: u.id, subjectUserId: u.id, ip }, tx);
    return { userId: u.id, email: input.email, role: "admin" as const };
  });
}

/** Redeems a password link: the staff member's new password (a new account, or after a reset). */
export async function setPasswordWithLink(db: Db, input: { token: string; password: string }, ip?: string): Promise<{ userId: string; email: string; role: StaffRole }> {
  const found = await findLink(db, "password", input.token);
  if (found.status !== "valid" || !found.link?.userId) refuseLink(found.status === "valid" ? "unknown" : found.status);
  const userId = found.link.userId;
  const linkId = found.link.id;
  const u = await db.user.findUnique({ where: { id: userId }, select: STAFF_SELECT });
  if (!u?.email || (u.role !== "doctor" && u.role !== "admin")) refuseLink("unknown");
  checkPassword(input.password, { email: u.email, name: u.name });
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    if (!(await consumeLink(tx, linkId))) refuseLink("used");
    await tx.user.update({ where: { id: userId }, data: { passwordHash, passwordChangedAt: new Date() } });
    await audit({ action: "staff.password_set", actorUserId: userId, subjectUserId: userId, ip }, tx);
    return { userId, email: u.email ?? "", role: u.role === "admin" ? ("admin" as const) : ("doctor" as const) };
  });
}

/** The email a valid password link is for, shown on its page (so a password manager files it right). */
export async function passwordLinkAccount(db: Db, token: string): Promise<{ status: "valid"; email: string; name: string } | { status: Exclude<LinkStatus, "valid">; message: string }> {
  const found = await findLink(db, "password", token);
  if (found.status !== "valid" || !found.link?.userId) {
    const status = found.status === "valid" ? "unknown" : found.status;
    return { status, message: LINK_STATUS_TEXT[status] };
  }
  const u = await db.user.findUnique({ where: { id: found.link.userId }, select: { email: true, name: true, disabledAt: true } });
  if (!u?.email) return { status: "unknown", message: LINK_STATUS_TEXT.unknown };
  return { status: "valid", email: u.email, name: u.name };
}

export async function findStaffByEmail(db: Db, email: string): Promise<StaffView> {
  const u = await db.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: STAFF_SELECT });
  if (!u || (u.role !== "doctor" && u.role !== "admin")) throw new ApiError("not_found", `No staff account with the email ${email}`);
  return view(u);
}
