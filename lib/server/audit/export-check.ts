// Checks a JSON-lines audit export on its own, with no database: each row against its hash, each
// pair of adjacent rows (ids n and n+1) by their link, and an unfiltered export as a whole chain
// from the first row. `npm run admin -- audit-verify --file <export.jsonl>`. Pure: give it the text.
import { ChainCheck, type AuditRecord, type ChainReport } from "./chain";
import type { AuditExportHeader } from "./export";

export type ExportCheck = ChainReport & { header: AuditExportHeader | undefined; error: string | undefined };

const FIELDS = ["id", "at", "actorUserId", "actorName", "actorRole", "subjectUserId", "subjectName", "consultId", "action", "detail", "ip", "userAgent", "prevHash", "hash"] as const;
const REQUIRED = new Set(["id", "at", "action", "detail", "prevHash", "hash"]);

function asRecord(value: unknown): AuditRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const o = value as Record<string, unknown>;
  for (const f of FIELDS) {
    const v = o[f];
    if (REQUIRED.has(f) ? typeof v !== "string" : v !== null && typeof v !== "string") return undefined;
  }
  if (!/^\d+$/.test(o.id as string) || !/^[0-9a-f]{64}$/i.test(o.prevHash as string) || !/^[0-9a-f]{64}$/i.test(o.hash as string)) return undefined;
  return o as AuditRecord;
}

export function checkExport(text: string): ExportCheck {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  let header: AuditExportHeader | undefined;
  const fail = (error: string): ExportCheck => ({ checked: 0, links: 0, head: undefined, firstBroken: undefined, header, error });
  try {
    header = JSON.parse(lines[0] ?? "null") as AuditExportHeader;
  } catch {
    return fail("The first line is not JSON: this is not a Parley audit export (JSON lines).");
  }
  if (header?.parley !== "audit-export" || header.version !== 1) return fail("The first line is not a Parley audit export header.");
  const check = new ChainCheck(Object.keys(header.filter).length === 0);
  for (let i = 1; i < lines.length; i++) {
    let record: AuditRecord | undefined;
    try {
      record = asRecord(JSON.parse(lines[i] ?? ""));
    } catch {
      record = undefined;
    }
    if (!record) return { ...check.result(), header, error: `Line ${i + 1} is not an audit row.` };
    if (!check.add(record)) break;
  }
  return { ...check.result(), header, error: undefined };
}
