import { headers } from "next/headers";
import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { newInvite } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { publicOrigin } from "@/lib/server/origin";
import { z } from "zod";

type Ctx = { params: Promise<{ id: string }> };

/** A new invite link; the consult's unused links stop working. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { owner: true, open: true });
  await readJson(req, z.object({}).strict());
  return json(await newInvite(await getDb(), access, publicOrigin(await headers())), 201);
});
