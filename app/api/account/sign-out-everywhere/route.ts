import { z } from "zod";
import { requireRole } from "@/lib/server/authz";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { endStaffSessions } from "@/lib/server/staff/accounts";

/** A staff member ends all their own sessions, this one included (the browser then clears its cookie). */
export const POST = route(async (req) => {
  const me = await requireRole("doctor", "admin");
  await readJson(req, z.object({}).strict());
  return json({ ended: await endStaffSessions(await getDb(), { userId: me.id, ip: requestIp(req), via: "self" }, me.id) });
});
