import "server-only";
// `npm run admin -- <command>`: the staff management of /admin for scripts and for a clinic whose
// admins are locked out. The same functions run in the CLI process (straight on the database) or
// in the running server (through its admin socket, when the embedded database is in use there).
import { z } from "zod";
import type { Db } from "../db";
import { ApiError } from "../errors";
import { getServerEnv } from "../env";
import { changeStaffRole, createStaffMember, disableStaff, enableStaff, endStaffSessions, findStaffByEmail, issueSetupLink, listStaff, resetStaff, type StaffActor } from "./accounts";
import { configuredOrigin } from "./origin";
import { AUDIT_USAGE, exportCommand, verifyCommand } from "../audit/commands";
import { createStaffBody, staffEmail, staffRole } from "@/lib/shared/staff";

export const USAGE = `Usage: npm run admin -- <command>

  setup-link                          print a one-time link that creates an admin account (24 h)
  list                                list staff accounts and their state
  add <email> <role> <name…>          add a staff member (role: doctor or admin); prints their password link
  disable <email>                     disable an account: signed out at once, everywhere
  enable <email>                      enable a disabled account
  reset <email>                       new one-time password link; the old password and sessions stop working
  role <email> <doctor|admin>         change a staff member's role
  sign-out <email>                    end every session of the account (it stays enabled)
${AUDIT_USAGE}

The last active admin cannot be disabled or demoted. Every command is audited (actor: command line).`;

export const commandRequest = z.object({ argv: z.array(z.string().max(1000)).max(20) });
export type CommandRequest = z.infer<typeof commandRequest>;
export type CommandAnswer = { ok: true; output: string } | { ok: false; error: string };

const CLI: StaffActor = { userId: null, via: "cli" };

function arg(argv: string[], i: number, what: string): string {
  const v = argv[i];
  if (!v) throw new ApiError("invalid_input", `Missing ${what}.\n\n${USAGE}`);
  return v;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError("invalid_input", `${what}: ${r.error.issues.map((i) => i.message).join("; ")}`);
  return r.data;
}

export async function runCommand(db: Db, argv: string[]): Promise<CommandAnswer> {
  const origin = configuredOrigin(getServerEnv());
  const [command] = argv;
  try {
    switch (command) {
      case "setup-link": {
        const link = await issueSetupLink(db, CLI, origin);
        return { ok: true, output: `Open this link to create an admin account (works once, until ${link.expiresAt}):\n${link.url}` };
      }
      case "list": {
        const staff = await listStaff(db);
        const lines = staff.map((s) => `${s.state.padEnd(8)} ${s.role.padEnd(6)} ${s.email}  ${s.name}`);
        return { ok: true, output: lines.length ? lines.join("\n") : "No staff accounts yet: run `npm run admin -- setup-link`." };
      }
      case "add": {
        const input = parse(createStaffBody, { email: arg(argv, 1, "the email"), role: arg(argv, 2, "the role"), name: argv.slice(3).join(" ") }, "Cannot add");
        const { staff, link } = await createStaffMember(db, CLI, input, origin);
        return { ok: true, output: `Added ${staff.email} (${staff.role}). Send them this one-time link to set a password (until ${link.expiresAt}):\n${link.url}` };
      }
      case "disable":
      case "enable":
      case "reset":
      case "role":
      case "sign-out": {
        const email = parse(staffEmail, arg(argv, 1, "the email"), "Not an email");
        const target = await findStaffByEmail(db, email);
        if (command === "disable") return { ok: true, output: `Disabled ${(await disableStaff(db, CLI, target.id)).email}.` };
        if (command === "sign-out") return { ok: true, output: `Ended ${await endStaffSessions(db, CLI, target.id)} session(s) of ${target.email}.` };
        if (command === "enable") return { ok: true, output: `Enabled ${(await enableStaff(db, CLI, target.id)).email}.` };
        if (command === "role") {
          const role = parse(staffRole, arg(argv, 2, "the role"), "The role is doctor or admin");
          return { ok: true, output: `${(await changeStaffRole(db, CLI, target.id, role)).email} is now ${role}.` };
        }
        const { link } = await resetStaff(db, CLI, target.id, origin);
        return { ok: true, output: `Reset ${target.email}: their password and sessions no longer work. One-time link to set a new password (until ${link.expiresAt}):\n${link.url}` };
      }
      case "audit-verify": {
        const r = await verifyCommand(db);
        return r.ok ? { ok: true, output: r.output } : { ok: false, error: r.output };
      }
      case "audit-export":
        return { ok: true, output: await exportCommand(db, argv.slice(1)) };
      case undefined:
      case "help":
      case "--help":
        return { ok: true, output: USAGE };
      default:
        return { ok: false, error: `Unknown command "${command}".\n\n${USAGE}` };
    }
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.message };
    throw err;
  }
}
