import { z } from "zod";
import { consultParams } from "@/lib/shared/api";
import { requireRole } from "@/lib/server/authz";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";
import { readRecord } from "@/lib/server/records-key";

type Ctx = { params: Promise<{ id: string }> };

/** Opens a consult's record for an admin with the recovery sheet: sealed copies, messages, documents. Audited. */
export const POST = route(async (req, { params }: Ctx) => {
  const admin = await requireRole("admin");
  const { id } = await readParams(params, consultParams);
  await readJson(req, z.object({}).strict());
  return json(await readRecord(await getDb(), admin, id, requestIp(req)));
});
