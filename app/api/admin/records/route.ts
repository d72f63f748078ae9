import { requireRole } from "@/lib/server/authz";
import { getDb } from "@/lib/server/db";
import { json, route } from "@/lib/server/http";
import { recordList } from "@/lib/server/records-key";

/** The consults whose records an admin may open: metadata only. */
export const GET = route(async () => {
  const admin = await requireRole("admin");
  return json({ consults: await recordList(await getDb(), admin) });
});
