import { consultParams, presenceBody } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { updatePresence } from "@/lib/server/presence";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string }> };

/** The caller's page is shown or hidden, its person typing or not; the others see it on the stream. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { admitted: true, open: true });
  const body = await readJson(req, presenceBody);
  await updatePresence(await getDb(), access, body);
  return json({ ok: true });
});
