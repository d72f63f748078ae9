import { requireRole } from "@/lib/server/authz";
import { audit } from "@/lib/server/audit";
import { verifyAuditTrail } from "@/lib/server/audit/read";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { noBody } from "@/lib/shared/audit";

/** Checks the audit trail's hash chain from the first row to the newest (admins only); the check is audited. */
export const POST = route(async (req: Request) => {
  const admin = await requireRole("admin");
  await readJson(req, noBody);
  const db = await getDb();
  const report = await verifyAuditTrail(db);
  await audit({ action: "audit.verified", actorUserId: admin.id, detail: { checked: report.checked, broken: report.firstBroken?.id ?? null } }, db);
  return json(report);
});
