import { fileParams } from "@/lib/shared/api";
import { checkAccess, requireConsultAccess } from "@/lib/server/authz";
import { deleteFile, downloadUrl } from "@/lib/server/files";
import { getDb } from "@/lib/server/db";
import { json, readParams, route } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

type Ctx = { params: Promise<{ id: string; fileId: string }> };

/** A presigned, expiring URL to the document's ciphertext (ranged GETs allowed). */
export const GET = route(async (_req, { params }: Ctx) => {
  const { id, fileId } = await readParams(params, fileParams);
  const access = await requireConsultAccess(id);
  if (!access.isOwner) checkAccess(access, { admitted: true });
  return json(await downloadUrl(await getDb(), getBlobStore(), access, fileId));
});

/** The sender cancels an upload or removes their document; the consult's doctor may remove any. */
export const DELETE = route(async (_req, { params }: Ctx) => {
  const { id, fileId } = await readParams(params, fileParams);
  const access = await requireConsultAccess(id);
  if (!access.isOwner) checkAccess(access, { admitted: true });
  await deleteFile(await getDb(), getBlobStore(), access, fileId);
  return json({ deleted: true });
});
