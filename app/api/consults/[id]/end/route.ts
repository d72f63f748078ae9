import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { endConsult } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { z } from "zod";

type Ctx = { params: Promise<{ id: string }> };

/** The doctor ends the consult for everyone. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { owner: true });
  await readJson(req, z.object({}).strict());
  await endConsult(await getDb(), access);
  return json({ ok: true });
});
