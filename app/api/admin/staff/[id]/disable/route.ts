import { z } from "zod";
import { staffParams } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requireAdminActor } from "@/lib/server/staff/actor";
import { disableStaff } from "@/lib/server/staff/accounts";

type Ctx = { params: Promise<{ id: string }> };

/** Disables a staff account: every session and open event stream of it is out at once. */
export const POST = route(async (req, { params }: Ctx) => {
  const actor = await requireAdminActor(req);
  const { id } = await readParams(params, staffParams);
  await readJson(req, z.object({}).strict());
  return json({ staff: await disableStaff(await getDb(), actor, id) });
});
