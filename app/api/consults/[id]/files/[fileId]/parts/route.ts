import { fileParams, filePartsBody } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { presignParts } from "@/lib/server/files";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

type Ctx = { params: Promise<{ id: string; fileId: string }> };

/** Presigned PUT URLs (10 minutes) for some of the upload's parts: the bytes go straight to the store. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id, fileId } = await readParams(params, fileParams);
  const access = await requireConsultAccess(id, { admitted: true, open: true });
  const { parts } = await readJson(req, filePartsBody);
  return json(await presignParts(await getDb(), getBlobStore(), access, fileId, parts));
});
