import { consultParams, verificationBody } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { reportMismatch } from "@/lib/server/consults";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string }> };

/** A participant reports that the call codes differed (a possible interception): audited. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { admitted: true });
  await readJson(req, verificationBody);
  await reportMismatch(await getDb(), access);
  return json({ ok: true });
});
