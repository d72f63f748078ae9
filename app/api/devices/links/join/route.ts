import { requireStaffSession } from "@/lib/server/auth/me";
import { joinLink } from "@/lib/server/device-links";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { joinLinkBody } from "@/lib/shared/devices";

/** The new device joins a link with its code (a sign-in with a second factor). */
export const POST = route(async (req) => {
  const me = await requireStaffSession();
  const body = await readJson(req, joinLinkBody);
  return json(await joinLink(await getDb(), me, body.code, body.deviceId, requestIp(req)));
});
