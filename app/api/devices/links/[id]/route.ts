import { requireStaffSession } from "@/lib/server/auth/me";
import { readLink } from "@/lib/server/device-links";
import { getDb } from "@/lib/server/db";
import { json, parseWith, readParams, route } from "@/lib/server/http";
import { idParams, linkReadQuery } from "@/lib/shared/devices";

type Ctx = { params: Promise<{ id: string }> };

/** The link's state and the other device's messages after `after` (polled while linking). */
export const GET = route(async (req, { params }: Ctx) => {
  const me = await requireStaffSession();
  const { id } = await readParams(params, idParams);
  const q = parseWith(linkReadQuery, Object.fromEntries(new URL(req.url).searchParams));
  return json(await readLink(await getDb(), me, id, q.deviceId, q.after));
});
