import { admitBody, consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { admit } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string }> };

/** The doctor admits a waiting patient into the consult. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { owner: true, open: true });
  const body = await readJson(req, admitBody);
  await admit(await getDb(), access, body.participantId);
  return json({ ok: true });
});
