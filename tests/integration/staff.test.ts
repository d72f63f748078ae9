// Staff accounts (lib/server/staff) on both databases: the one-time setup and password links, the
// admin's changes with their audit rows, and the rule that the clinic always keeps an active admin.
import { beforeAll, expect, it } from "vitest";

import { loadConsultAccess } from "@/lib/server/authz";
import { verifyPassword } from "@/lib/server/auth/password";
import {
  changeStaffRole,
  completeSetup,
  createStaffMember,
  disableStaff,
  enableStaff,
  hasActiveAdmin,
  issueSetupLink,
  resetStaff,
  setPasswordWithLink,
  type StaffActor,
} from "@/lib/server/staff/accounts";
import { runCommand } from "@/lib/server/staff/commands";
import { createConsult } from "@/lib/server/consults";

import { apiErrorCode, describeBackends, ORIGIN, setupDatabase, setupTestEnv } from "../support/db";

setupTestEnv();

const PASSWORD = "correct horse battery staple";
const tokenOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

describeBackends("staff accounts", (kind) => {
  const t = setupDatabase(kind);
  let admin: StaffActor & { userId: string };

  beforeAll(async () => {
    expect(await hasActiveAdmin(t.db)).toBe(false);
    const link = await issueSetupLink(t.db, null, ORIGIN);
    expect(link.url).toMatch(/^https:\/\/parley\.test\/setup\/[A-Za-z0-9_-]{43}$/);
    const made = await completeSetup(t.db, { token: tokenOf(link.url), name: "First Admin", email: `admin-${kind}@clinic.test`, password: PASSWORD });
    admin = { userId: made.userId, via: "admin", ip: "192.0.2.7" };
  });

  it("a setup link makes one admin, works once, and a newer one replaces it", async () => {
    expect(await hasActiveAdmin(t.db)).toBe(true);
    const first = await issueSetupLink(t.db, null, ORIGIN);
    const second = await issueSetupLink(t.db, null, ORIGIN);
    const input = { name: "Second Admin", email: `second-${kind}@clinic.test`, password: PASSWORD };
    expect(await apiErrorCode(completeSetup(t.db, { ...input, token: tokenOf(first.url) }))).toBe("gone");
    await completeSetup(t.db, { ...input, token: tokenOf(second.url) });
    expect(await apiErrorCode(completeSetup(t.db, { ...input, email: `third-${kind}@clinic.test`, token: tokenOf(second.url) }))).toBe("gone");
    expect(await apiErrorCode(completeSetup(t.db, { ...input, token: "A".repeat(43) }))).toBe("not_found");
  });

  it("refuses a short or common password, writing nothing", async () => {
    const link = await issueSetupLink(t.db, null, ORIGIN);
    const before = await t.db.user.count();
    for (const password of ["short-pw", "password1234"]) {
      expect(await apiErrorCode(completeSetup(t.db, { token: tokenOf(link.url), name: "X", email: `weak-${kind}@clinic.test`, password }))).toBe("invalid_input");
    }
    expect(await t.db.user.count()).toBe(before);
  });

  it("adds a doctor who is pending until the password link is used, once", async () => {
    const { staff, link } = await createStaffMember(t.db, admin, { name: "Dr. New", email: `new-${kind}@clinic.test`, role: "doctor" }, ORIGIN);
    expect(staff.state).toBe("pending");
    expect(link.url).toContain("/account/setup/");
    expect(await apiErrorCode(createStaffMember(t.db, admin, { name: "Dup", email: staff.email, role: "doctor" }, ORIGIN))).toBe("conflict");
    const set = await setPasswordWithLink(t.db, { token: tokenOf(link.url), password: PASSWORD });
    expect(set).toMatchObject({ email: staff.email, role: "doctor" });
    const row = await t.db.user.findUniqueOrThrow({ where: { id: staff.id } });
    expect(await verifyPassword(PASSWORD, row.passwordHash ?? "")).toBe(true);
    expect(await apiErrorCode(setPasswordWithLink(t.db, { token: tokenOf(link.url), password: "another long passphrase" }))).toBe("gone");
    const audit = await t.db.auditEvent.findMany({ where: { subjectUserId: staff.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["staff.created", "staff.link_issued", "staff.password_set"]);
    expect(audit[0]).toMatchObject({ actorUserId: admin.userId, ip: "192.0.2.7" });
  });

  it("a reset ends the password and the doctor's access to their consults; a new password restores it", async () => {
    const { staff, link } = await createStaffMember(t.db, admin, { name: "Dr. Reset", email: `reset-${kind}@clinic.test`, role: "doctor" }, ORIGIN);
    await setPasswordWithLink(t.db, { token: tokenOf(link.url), password: PASSWORD });
    const doctor = { id: staff.id, name: staff.name, email: staff.email, role: "doctor" as const };
    const consult = await createConsult(t.db, doctor, ORIGIN);
    expect(await loadConsultAccess(t.db, staff.id, consult.id)).toBeDefined();
    const reset = await resetStaff(t.db, admin, staff.id, ORIGIN);
    expect(reset.staff.state).toBe("pending");
    expect(await loadConsultAccess(t.db, staff.id, consult.id)).toBeUndefined();
    expect(await apiErrorCode(setPasswordWithLink(t.db, { token: tokenOf(link.url), password: PASSWORD }))).toBe("gone");
    await setPasswordWithLink(t.db, { token: tokenOf(reset.link.url), password: "a brand new passphrase" });
    expect(await loadConsultAccess(t.db, staff.id, consult.id)).toBeDefined();
  });

  it("disables and enables, and never leaves the clinic without an active admin", async () => {
    const { staff, link } = await createStaffMember(t.db, admin, { name: "Dr. Off", email: `off-${kind}@clinic.test`, role: "doctor" }, ORIGIN);
    await setPasswordWithLink(t.db, { token: tokenOf(link.url), password: PASSWORD });
    expect((await disableStaff(t.db, admin, staff.id)).state).toBe("disabled");
    expect((await enableStaff(t.db, admin, staff.id)).state).toBe("active");

    // Demote every admin but one, then try the last one both ways.
    const admins = await t.db.user.findMany({ where: { role: "admin", disabledAt: null, passwordHash: { not: null } } });
    for (const a of admins.filter((a) => a.id !== admin.userId)) await changeStaffRole(t.db, admin, a.id, "doctor");
    expect(await apiErrorCode(disableStaff(t.db, admin, admin.userId))).toBe("conflict");
    expect(await apiErrorCode(changeStaffRole(t.db, admin, admin.userId, "doctor"))).toBe("conflict");
    // a second admin makes it possible
    await changeStaffRole(t.db, admin, staff.id, "admin");
    expect((await changeStaffRole(t.db, admin, admin.userId, "doctor")).role).toBe("doctor");
    await changeStaffRole(t.db, { userId: staff.id, via: "admin" }, admin.userId, "admin");
    const actions = (await t.db.auditEvent.findMany({ where: { subjectUserId: staff.id }, orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["staff.disabled", "staff.enabled", "staff.role_changed"]));
  });

  it("the command line does the same, audited as the command line", async () => {
    const add = await runCommand(t.db, ["add", `cli-${kind}@clinic.test`, "doctor", "Dr.", "Command", "Line"]);
    expect(add.ok).toBe(true);
    const user = await t.db.user.findUniqueOrThrow({ where: { email: `cli-${kind}@clinic.test` } });
    expect(user.name).toBe("Dr. Command Line");
    expect(await runCommand(t.db, ["disable", `cli-${kind}@clinic.test`])).toMatchObject({ ok: true });
    expect(await runCommand(t.db, ["role", `cli-${kind}@clinic.test`, "nurse"])).toMatchObject({ ok: false });
    expect(await runCommand(t.db, ["disable", `nobody-${kind}@clinic.test`])).toMatchObject({ ok: false });
    const link = await runCommand(t.db, ["setup-link"]);
    expect(link.ok && link.output).toMatch(/\/setup\/[A-Za-z0-9_-]{43}/);
    const rows = await t.db.auditEvent.findMany({ where: { subjectUserId: user.id } });
    expect(rows.every((r) => r.actorUserId === null && (r.detail as { via?: string }).via === "cli")).toBe(true);
  });
});
