import { requireRole } from "@/lib/server/authz";
import { auditCsv } from "@/lib/server/audit-export";
import { getDb } from "@/lib/server/db";
import { route } from "@/lib/server/http";

/** The audit log as a CSV download (admins only). */
export const GET = route(async () => {
  await requireRole("admin");
  const csv = await auditCsv(await getDb());
  const day = new Date().toISOString().slice(0, 10);
  return new Response(csv, {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="parley-audit-${day}.csv"`, "cache-control": "no-store" },
  });
});
