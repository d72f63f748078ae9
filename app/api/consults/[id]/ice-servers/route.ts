import { consultRoute } from "@/lib/server/consult-route";
import { getServerEnv } from "@/lib/server/env";
import { json } from "@/lib/server/http";
import { iceServersFor } from "@/lib/server/turn";

/**
 * STUN and TURN servers for this participant's calls in this consult, TURN with a credential that
 * expires within the hour (minted from TURN_SECRET). Participants of an open consult only.
 */
export const GET = consultRoute({ who: "participant", open: true }, (_req, { access }) => Promise.resolve(json(iceServersFor(getServerEnv(), access.user.id))));
