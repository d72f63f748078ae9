import { setupBody } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { completeSetup } from "@/lib/server/staff/accounts";

/** Redeems a one-time setup link: a new admin account. The browser then signs in with it. */
export const POST = route(async (req) => {
  const body = await readJson(req, setupBody);
  const { email, role } = await completeSetup(await getDb(), body, requestIp(req));
  return json({ email, role }, 201);
});
