import { z } from "zod";
import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { unlockBackup } from "@/lib/server/key-backup";
import { requestIp } from "@/lib/server/net/request-ip";

/** The wrapped backup key, for restoring on a new device: a second factor needed, and counted. */
export const POST = route(async (req) => {
  const me = await requireStaffSession();
  await readJson(req, z.object({}).strict());
  return json(await unlockBackup(await getDb(), me, requestIp(req)));
});
