import { requireStaffSession } from "@/lib/server/auth/me";
import { setBoxKey } from "@/lib/server/devices";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { boxKeyBody, idParams } from "@/lib/shared/devices";

type Ctx = { params: Promise<{ id: string }> };

/** Registers the device's box key, signed by its identity, once (PROTOCOL §7.2). */
export const PUT = route(async (req, { params }: Ctx) => {
  const me = await requireStaffSession();
  const { id } = await readParams(params, idParams);
  const body = await readJson(req, boxKeyBody);
  await setBoxKey(await getDb(), me, id, body.boxKey, body.sig, requestIp(req));
  return json({ ok: true });
});
