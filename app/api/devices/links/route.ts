import { requireStaffSession } from "@/lib/server/auth/me";
import { createLink } from "@/lib/server/device-links";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { fromDeviceBody } from "@/lib/shared/devices";

/** "Add a device": a link for 10 minutes, with the code the new device enters (PROTOCOL §7.2). */
export const POST = route(async (req) => {
  const me = await requireStaffSession();
  const body = await readJson(req, fromDeviceBody);
  return json(await createLink(await getDb(), me, body.deviceId, requestIp(req)), 201);
});
