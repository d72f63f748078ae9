import "server-only";
// Reading the trail is itself audited: the chain checks and the exports, from /admin, the API and
// the command line, go through these two so each writes the same row.
import type { Db } from "../db";
import type { AuditFilter } from "@/lib/shared/audit";
import { audit } from "./index";
import type { ChainReport } from "./chain";
import type { AuditExportFormat } from "./export";
import { filterDetail } from "./filter-detail";
import { verifyAuditTrail } from "./read";

type Who = { actorUserId?: string | null; detail?: Record<string, string | boolean> };

/** Checks the whole chain and records the check; `quiet` (the check a page runs when it opens) records only a broken chain. */
export async function verifyAndRecord(db: Db, who: Who, quiet = false): Promise<ChainReport> {
  const report = await verifyAuditTrail(db);
  if (!quiet || report.firstBroken) {
    await audit({ action: "audit.verified", actorUserId: who.actorUserId, detail: { ...who.detail, checked: report.checked, broken: report.firstBroken?.id ?? null } }, db);
  }
  return report;
}

/** Records an export (its format and filter) before its rows are read. */
export async function recordExport(db: Db, who: Who, format: AuditExportFormat, filter: AuditFilter): Promise<void> {
  await audit({ action: "audit.exported", actorUserId: who.actorUserId, detail: { ...who.detail, format, filter: filterDetail(filter) } }, db);
}
