import { inviteParams } from "@/lib/shared/api";
import { revokeInvite } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json } from "@/lib/server/http";

/** Revokes an invite; a patient who joined with it is out at once. */
export const DELETE = consultRoute(
  { who: "owner" },
  async (_req, { access, db, params }) => {
    await revokeInvite(db, access, params.inviteId);
    return json({ ok: true });
  },
  inviteParams,
);
