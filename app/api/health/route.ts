import { getDatabase } from "@/lib/server/db";
import { json, route } from "@/lib/server/http";

export const dynamic = "force-dynamic";

/** Readiness for load balancers and the start script: the database answers. */
export const GET = route(async () => {
  const { db, kind } = await getDatabase();
  await db.$queryRaw`SELECT 1`;
  return json({ ok: true, database: kind });
});
