import "server-only";
// The audit trail exported for a compliance officer: the rows a filter picks, oldest first (chain
// order), with every hashed field, prevHash and hash, so an export is checked on its own
// (export-check.ts, `npm run admin -- audit-verify --file`).
//   csv    for a spreadsheet. Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR) are
//          prefixed with ' (OWASP "CSV injection"): an email or a name is data, never a formula.
//   jsonl  for checking: a header line (the filter, when, the chain's head at that moment), then
//          one AuditRecord per line, exactly as hashed.
import type { Db } from "../db";
import type { AuditFilter } from "@/lib/shared/audit";
import type { AuditRecord } from "./chain";
import { auditHead, auditRecords } from "./read";
import { filterDetail } from "./filter-detail";

export type AuditExportFormat = "csv" | "jsonl";

const CSV_HEADER = ["id", "at_utc", "action", "actor_id", "actor_name", "actor_role", "subject_id", "subject_name", "consult_id", "ip", "user_agent", "detail", "prev_hash", "hash"];

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvLine(r: AuditRecord): string {
  const cells = [r.id, r.at, r.action, r.actorUserId, r.actorName, r.actorRole, r.subjectUserId, r.subjectName, r.consultId, r.ip, r.userAgent, r.detail, r.prevHash, r.hash];
  return cells.map((c) => csvCell(c ?? "")).join(",") + "\r\n";
}

/** The first line of a JSON-lines export. */
export type AuditExportHeader = {
  parley: "audit-export";
  version: 1;
  exportedAt: string;
  /** the filter, as given (dates in ISO) */
  filter: Record<string, string>;
  /** the newest row of the whole trail when the export began */
  chainHead: { id: string; hash: string } | null;
};

/** The export, a piece at a time (a route streams it; the command line joins it). */
export async function* auditExport(db: Db, f: AuditFilter, format: AuditExportFormat, now = new Date()): AsyncGenerator<string> {
  if (format === "csv") {
    yield CSV_HEADER.join(",") + "\r\n";
    for await (const r of auditRecords(db, f)) yield csvLine(r);
    return;
  }
  const header: AuditExportHeader = { parley: "audit-export", version: 1, exportedAt: now.toISOString(), filter: filterDetail(f), chainHead: (await auditHead(db)) ?? null };
  yield JSON.stringify(header) + "\n";
  for await (const r of auditRecords(db, f)) yield JSON.stringify(r) + "\n";
}

export async function auditExportText(db: Db, f: AuditFilter, format: AuditExportFormat): Promise<string> {
  let out = "";
  for await (const piece of auditExport(db, f, format)) out += piece;
  return out;
}

export function exportFileName(format: AuditExportFormat, now = new Date()): string {
  return `parley-audit-${now.toISOString().slice(0, 10)}.${format}`;
}
