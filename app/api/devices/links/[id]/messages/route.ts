import { requireStaffSession } from "@/lib/server/auth/me";
import { postLinkMessage } from "@/lib/server/device-links";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { idParams, linkMessageBody } from "@/lib/shared/devices";

type Ctx = { params: Promise<{ id: string }> };

/** Relays a handshake message (commit, reveal, confirm, grant) to the other device on the link. */
export const POST = route(async (req, { params }: Ctx) => {
  const me = await requireStaffSession();
  const { id } = await readParams(params, idParams);
  const body = await readJson(req, linkMessageBody);
  return json(await postLinkMessage(await getDb(), me, id, body.deviceId, body.message), 201);
});
