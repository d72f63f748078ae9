import { consultParams, createFileBody } from "@/lib/shared/api";
import { checkAccess, requireConsultAccess } from "@/lib/server/authz";
import { createUpload, listFiles, sweepSoon } from "@/lib/server/files";
import { getDb } from "@/lib/server/db";
import { getServerEnv } from "@/lib/server/env";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

type Ctx = { params: Promise<{ id: string }> };

/** The consult's documents (ids, states, ciphertext sizes; names are only in the sealed chat). */
export const GET = route(async (_req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id);
  if (!access.isOwner) checkAccess(access, { admitted: true });
  return json({ files: await listFiles(await getDb(), access) });
});

/** Starts an encrypted upload: a multipart upload in the store and a row with its ciphertext size. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { admitted: true, open: true });
  const body = await readJson(req, createFileBody);
  const db = await getDb();
  const store = getBlobStore();
  const answer = await createUpload(db, store, access, body, getServerEnv().maxFileBytes);
  sweepSoon(db, store);
  return json(answer, 201);
});
