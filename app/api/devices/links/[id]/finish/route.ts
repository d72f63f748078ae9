import { requireStaffSession } from "@/lib/server/auth/me";
import { finishLink } from "@/lib/server/device-links";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { finishLinkBody, idParams } from "@/lib/shared/devices";

type Ctx = { params: Promise<{ id: string }> };

/** How the link ended: linked (from the key holder), the codes differed, or cancelled. Audited. */
export const POST = route(async (req, { params }: Ctx) => {
  const me = await requireStaffSession();
  const { id } = await readParams(params, idParams);
  const body = await readJson(req, finishLinkBody);
  return json(await finishLink(await getDb(), me, id, body.deviceId, body.outcome, requestIp(req)));
});
