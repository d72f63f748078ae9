import { requireRole } from "@/lib/server/authz";
import { verifyAndRecord } from "@/lib/server/audit/recorded";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { verifyBody } from "@/lib/shared/audit";

/**
 * Checks the audit trail's hash chain from the first row to the newest (admins only). Audited,
 * except the intact result of the check a page runs by itself when it opens; a broken chain always.
 */
export const POST = route(async (req: Request) => {
  const admin = await requireRole("admin");
  const { onOpen } = await readJson(req, verifyBody);
  const db = await getDb();
  const report = await verifyAndRecord(db, { actorUserId: admin.id, detail: { onOpen: onOpen ?? false } }, onOpen);
  return json(report);
});
