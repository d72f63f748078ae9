import { signalPost } from "@/lib/shared/api";
import { postSignals } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { checkAccess } from "@/lib/server/authz";
import { json, readJson } from "@/lib/server/http";

/**
 * Relays signaling messages (SDP, ICE candidates, handshake), one or several in order, to the
 * consult's event log. From the waiting room only a handshake commitment to the doctor is taken
 * (`postSignals`).
 */
export const POST = consultRoute({ who: "participant", open: true }, async (req, { access, db }) => {
  if (access.participant.state !== "waiting") checkAccess(access, { admitted: true });
  const body = await readJson(req, signalPost);
  return json(await postSignals(db, access, "signals" in body ? body.signals : [body]), 201);
});
