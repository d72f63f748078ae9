import { requireRole } from "@/lib/server/authz";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { createRecordsKey } from "@/lib/server/records-key";
import { recordsKeyBody } from "@/lib/shared/keys";

/** An admin registers the public half of the records key made in their browser (PROTOCOL §7.4). */
export const POST = route(async (req) => {
  const admin = await requireRole("admin");
  const body = await readJson(req, recordsKeyBody);
  return json(await createRecordsKey(await getDb(), admin, body.publicKey, requestIp(req)), 201);
});
