import { inviteParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { revokeInvite } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string; inviteId: string }> };

/** Revokes an invite; a patient who joined with it is out at once. */
export const DELETE = route(async (_req, { params }: Ctx) => {
  const { id, inviteId } = await readParams(params, inviteParams);
  const access = await requireConsultAccess(id, { owner: true });
  await revokeInvite(await getDb(), access, inviteId);
  return json({ ok: true });
});
