import { consultParams, messageReceiptBody } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { postReceipt } from "@/lib/server/messages";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string }> };

/** A participant's device has decrypted ("delivered") or shown ("read") another device's messages up to a seq. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { admitted: true });
  const body = await readJson(req, messageReceiptBody);
  await postReceipt(await getDb(), access, body);
  return json({ ok: true });
});
