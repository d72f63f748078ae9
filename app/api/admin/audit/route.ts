import { requireRole } from "@/lib/server/authz";
import { auditExport, exportFileName } from "@/lib/server/audit/export";
import { recordExport } from "@/lib/server/audit/recorded";
import { getDb } from "@/lib/server/db";
import { parseWith, route } from "@/lib/server/http";
import { auditExportQuery } from "@/lib/shared/audit";

/**
 * The audit rows a filter picks, as a download (admins only): `format=csv` (default) or `jsonl`
 * (checkable on its own: `npm run admin -- audit-verify --file`). The export itself is audited.
 */
export const GET = route(async (req: Request) => {
  const admin = await requireRole("admin");
  const { format, ...filter } = parseWith(auditExportQuery, Object.fromEntries(new URL(req.url).searchParams));
  const db = await getDb();
  await recordExport(db, { actorUserId: admin.id }, format, filter);
  const pieces = auditExport(db, filter, format);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await pieces.return(undefined);
    },
  });
  const type = format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
  return new Response(body, { headers: { "content-type": type, "content-disposition": `attachment; filename="${exportFileName(format)}"`, "cache-control": "no-store" } });
});
