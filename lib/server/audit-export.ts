import "server-only";
// The audit log as CSV for a compliance officer's spreadsheet: one row per event, newest first.
// Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are prefixed with ' (OWASP
// "CSV injection"): an email or a name is data, never a formula.
import type { Db } from "./db";
import { auditActorLabel, auditActorSelect } from "./audit";

const MAX_ROWS = 100_000;
const HEADER = ["id", "at_utc", "action", "actor_id", "actor_name", "actor_role", "subject_id", "consult_id", "ip", "detail"];

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export async function auditCsv(db: Db): Promise<string> {
  const rows = await db.auditEvent.findMany({
    orderBy: { id: "desc" },
    take: MAX_ROWS,
    select: { id: true, at: true, action: true, actorUserId: true, subjectUserId: true, consultId: true, ip: true, detail: true, actor: auditActorSelect },
  });
  const lines = [HEADER.join(",")];
  for (const r of rows) {
    const actor = auditActorLabel(r.actor);
    const cells = [
      r.id.toString(),
      r.at.toISOString(),
      r.action,
      r.actorUserId ?? "",
      actor?.name ?? "",
      actor?.role ?? "",
      r.subjectUserId ?? "",
      r.consultId ?? "",
      r.ip ?? "",
      JSON.stringify(r.detail),
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
