import { staffParams, staffRoleBody } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requireAdminActor } from "@/lib/server/staff/actor";
import { changeStaffRole } from "@/lib/server/staff/accounts";

type Ctx = { params: Promise<{ id: string }> };

/** Changes a staff member's role; the last active admin cannot be demoted. */
export const POST = route(async (req, { params }: Ctx) => {
  const actor = await requireAdminActor(req);
  const { id } = await readParams(params, staffParams);
  const { role } = await readJson(req, staffRoleBody);
  return json({ staff: await changeStaffRole(await getDb(), actor, id, role) });
});
