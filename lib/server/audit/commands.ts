import "server-only";
// `npm run admin -- audit-verify` and `audit-export`: the audit trail's checks and exports from
// the command line (lib/server/staff/commands.ts routes them here). A file export is checked
// without a database by scripts/admin.ts (`audit-verify --file`, export-check.ts).
import type { Db } from "../db";
import { ApiError } from "../errors";
import { auditExportQuery } from "@/lib/shared/audit";
import { describeReport } from "./chain";
import { auditExportText } from "./export";
import { recordExport, verifyAndRecord } from "./recorded";

export const AUDIT_USAGE = `  audit-verify                        check the audit trail's hash chain; names the first broken row
  audit-verify --file <export.jsonl>  check an exported file on its own, with no database
  audit-export [--format csv|jsonl] [--consult <id>] [--person <id or email>] [--action <action or family>]
               [--from <YYYY-MM-DD[Thh:mm]>] [--to <YYYY-MM-DD[Thh:mm]>]
                                      print the rows the filter picks, oldest first, with their hashes`;

const FLAGS = new Set(["format", "consult", "person", "action", "from", "to"]);

/** `--name value` pairs into an object; anything else is refused. */
export function flagsOf(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, "") ?? "";
    const value = argv[i + 1];
    if (!argv[i]?.startsWith("--") || !FLAGS.has(name) || value === undefined) throw new ApiError("invalid_input", `Unexpected "${argv[i]}". Flags: ${[...FLAGS].map((f) => `--${f}`).join(" ")}`);
    out[name] = value;
  }
  return out;
}

async function personId(db: Db, person: string | undefined): Promise<string | undefined> {
  if (!person?.includes("@")) return person;
  const user = await db.user.findFirst({ where: { email: person.toLowerCase() }, select: { id: true } });
  if (!user) throw new ApiError("not_found", `No account has the email ${person}`);
  return user.id;
}

export async function verifyCommand(db: Db): Promise<{ ok: boolean; output: string }> {
  const report = await verifyAndRecord(db, { detail: { via: "cli" } });
  return { ok: !report.firstBroken, output: describeReport(report) };
}

export async function exportCommand(db: Db, argv: string[]): Promise<string> {
  const flags = flagsOf(argv);
  flags.person = (await personId(db, flags.person)) ?? "";
  const parsed = auditExportQuery.safeParse(flags);
  if (!parsed.success) throw new ApiError("invalid_input", parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "));
  const { format, ...filter } = parsed.data;
  await recordExport(db, { detail: { via: "cli" } }, format, filter);
  return auditExportText(db, filter, format);
}
