import { passkeyParams } from "@/lib/shared/factors";
import { removePasskey } from "@/lib/server/auth/factors";
import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readParams, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";

type Ctx = { params: Promise<{ id: string }> };

/** Removes one of the caller's passkeys (not the last factor where the clinic requires one). */
export const DELETE = route(async (req, { params }: Ctx) => {
  const me = await requireStaffSession();
  const { id } = await readParams(params, passkeyParams);
  await removePasskey(await getDb(), me, id, requestIp(req));
  return json({ ok: true });
});
