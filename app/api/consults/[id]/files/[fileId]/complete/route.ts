import { completeFileBody, fileParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { completeUpload } from "@/lib/server/files";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

type Ctx = { params: Promise<{ id: string; fileId: string }> };

/** Joins the uploaded parts; the document is ready only if the store holds exactly the announced size. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id, fileId } = await readParams(params, fileParams);
  const access = await requireConsultAccess(id, { admitted: true, open: true });
  const { parts } = await readJson(req, completeFileBody);
  return json(await completeUpload(await getDb(), getBlobStore(), access, fileId, parts));
});
