import { consultParams, signalBody } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { postSignal } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string }> };

/** Relays a signaling message (SDP, ICE candidate, handshake) to the consult's event log. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { admitted: true, open: true });
  const body = await readJson(req, signalBody);
  return json(await postSignal(await getDb(), access, body), 201);
});
