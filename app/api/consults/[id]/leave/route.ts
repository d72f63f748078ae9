import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { leave } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { z } from "zod";

type Ctx = { params: Promise<{ id: string }> };

/** The caller leaves the consult (hangs up); they may come back while it is open. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id);
  await readJson(req, z.object({}).strict());
  await leave(await getDb(), access);
  return json({ ok: true });
});
