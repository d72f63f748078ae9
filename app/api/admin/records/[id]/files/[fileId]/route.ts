import { z } from "zod";
import { fileParams } from "@/lib/shared/api";
import { requireRole } from "@/lib/server/authz";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { recordFileUrl } from "@/lib/server/records-key";
import { getBlobStore } from "@/lib/server/storage";

type Ctx = { params: Promise<{ id: string; fileId: string }> };

/** A document's download link for an admin reading a record (ciphertext; decrypted in the browser). Audited. */
export const POST = route(async (req, { params }: Ctx) => {
  const admin = await requireRole("admin");
  const { id, fileId } = await readParams(params, fileParams);
  await readJson(req, z.object({}).strict());
  return json(await recordFileUrl(await getDb(), getBlobStore(), admin, id, fileId, requestIp(req)));
});
