import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { getServerEnv } from "@/lib/server/env";
import { json, readParams, route } from "@/lib/server/http";
import { iceServersFor } from "@/lib/server/turn";

type Ctx = { params: Promise<{ id: string }> };

/**
 * STUN and TURN servers for this participant's calls in this consult, TURN with a credential that
 * expires within the hour (minted from TURN_SECRET). Participants of an open consult only.
 */
export const GET = route(async (_req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { open: true });
  return json(iceServersFor(getServerEnv(), access.user.id));
});
