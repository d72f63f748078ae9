import { z } from "zod";
import { staffParams } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requireAdminActor } from "@/lib/server/staff/actor";
import { endStaffSessions } from "@/lib/server/staff/accounts";

type Ctx = { params: Promise<{ id: string }> };

/** Signs a staff member out everywhere: every session ends, open rooms lose their streams. */
export const POST = route(async (req, { params }: Ctx) => {
  const actor = await requireAdminActor(req);
  const { id } = await readParams(params, staffParams);
  await readJson(req, z.object({}).strict());
  return json({ ended: await endStaffSessions(await getDb(), actor, id) });
});
