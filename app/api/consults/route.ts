import { headers } from "next/headers";
import { createConsultBody } from "@/lib/shared/api";
import { requireRole } from "@/lib/server/authz";
import { createConsult } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { publicOrigin } from "@/lib/server/origin";

/** Creates a consult owned by the calling doctor, with its first invite link. */
export const POST = route(async (req) => {
  const doctor = await requireRole("doctor");
  const body = await readJson(req, createConsultBody);
  const created = await createConsult(await getDb(), doctor, publicOrigin(await headers()), body.scheduledAt ? new Date(body.scheduledAt) : undefined);
  return json(created, 201);
});
