import { signalBody } from "@/lib/shared/api";
import { postSignal } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** Relays a signaling message (SDP, ICE candidate, handshake) to the consult's event log. */
export const POST = consultRoute({ who: "admitted", open: true }, async (req, { access, db }) => {
  const body = await readJson(req, signalBody);
  return json(await postSignal(db, access, body), 201);
});
