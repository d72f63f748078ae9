import { requireStaffSession } from "@/lib/server/auth/me";
import { removeDevice } from "@/lib/server/devices";
import { getDb } from "@/lib/server/db";
import { json, readParams, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { idParams } from "@/lib/shared/devices";

type Ctx = { params: Promise<{ id: string }> };

/** Removes one of the caller's devices: disabled, its key copies deleted (PROTOCOL §7.2). */
export const DELETE = route(async (req, { params }: Ctx) => {
  const me = await requireStaffSession();
  const { id } = await readParams(params, idParams);
  return json(await removeDevice(await getDb(), me, id, requestIp(req)));
});
