import "server-only";
// What a clinic admin reads: staff accounts and the audit trail (never consult content).
import type { Db } from "./db";
import { listStaff } from "./staff/accounts";
import { auditPage } from "./audit/read";

/** How many rows /admin shows; the viewer (/admin/audit) pages through the rest. */
export const OVERVIEW_AUDIT_ROWS = 200;

export async function adminOverview(db: Db) {
  const [staff, page] = await Promise.all([listStaff(db), auditPage(db, {}, undefined, OVERVIEW_AUDIT_ROWS)]);
  return { staff, events: page.rows };
}
