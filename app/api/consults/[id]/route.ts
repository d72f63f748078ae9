import { headers } from "next/headers";
import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { roomSnapshot } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readParams, route } from "@/lib/server/http";
import { publicOrigin } from "@/lib/server/origin";

type Ctx = { params: Promise<{ id: string }> };

/** The room as the caller may see it, with the log head to stream from. */
export const GET = route(async (_req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id);
  return json(await roomSnapshot(await getDb(), access, publicOrigin(await headers())));
});
