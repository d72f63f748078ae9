import { signalBody } from "@/lib/shared/api";
import { postSignal } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { checkAccess } from "@/lib/server/authz";
import { json, readJson } from "@/lib/server/http";

/**
 * Relays a signaling message (SDP, ICE candidate, handshake) to the consult's event log. From the
 * waiting room only a handshake commitment to the doctor is taken (`postSignal`).
 */
export const POST = consultRoute({ who: "participant", open: true }, async (req, { access, db }) => {
  if (access.participant.state !== "waiting") checkAccess(access, { admitted: true });
  const body = await readJson(req, signalBody);
  return json(await postSignal(db, access, body), 201);
});
