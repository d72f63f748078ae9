import { passwordLinkBody } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { setPasswordWithLink } from "@/lib/server/staff/accounts";

/** Redeems a one-time password link (a new account or a reset). The browser then signs in with it. */
export const POST = route(async (req) => {
  const body = await readJson(req, passwordLinkBody);
  const { email, role } = await setPasswordWithLink(await getDb(), body, requestIp(req));
  return json({ email, role });
});
