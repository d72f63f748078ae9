import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { rejoin } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { z } from "zod";

type Ctx = { params: Promise<{ id: string }> };

/** After leaving: a patient goes back to the waiting room, the doctor back into the consult. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { open: true });
  await readJson(req, z.object({}).strict());
  await rejoin(await getDb(), access);
  return json({ ok: true });
});
