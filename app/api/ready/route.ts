import { getDb } from "@/lib/server/db";
import { json, route } from "@/lib/server/http";
import { checkReadiness } from "@/lib/server/readiness";
import { getBlobStore } from "@/lib/server/storage";

export const dynamic = "force-dynamic";

/** Ready to serve: the database and the object store both answer (503 with what failed, otherwise). */
export const GET = route(async () => {
  const r = await checkReadiness(await getDb(), getBlobStore());
  return json(r, r.ready ? 200 : 503);
});
