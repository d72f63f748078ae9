import { json, route } from "@/lib/server/http";

export const dynamic = "force-dynamic";

/** Liveness: the process answers. Whether it can serve (database, store) is /api/ready. */
export const GET = route(() => Promise.resolve(json({ ok: true })));
