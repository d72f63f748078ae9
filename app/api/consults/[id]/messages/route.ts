import { consultParams, postMessageBody } from "@/lib/shared/api";
import { checkAccess, requireConsultAccess } from "@/lib/server/authz";
import { deleteMessages, listMessages, postMessage } from "@/lib/server/messages";
import { getDb } from "@/lib/server/db";
import { deleteConsultFiles } from "@/lib/server/files";
import { getBlobStore } from "@/lib/server/storage";
import { json, readJson, readParams, route } from "@/lib/server/http";

type Ctx = { params: Promise<{ id: string }> };

/**
 * The consult's sealed messages (ciphertext only): for admitted participants, and for the
 * consult's doctor at any time (the history for the record, after leaving or ending the call).
 */
export const GET = route(async (_req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id);
  if (!access.isOwner) checkAccess(access, { admitted: true });
  return json({ messages: await listMessages(await getDb(), access) });
});

/** Stores a sealed message; a retry with the same id and bytes is answered as the first time. */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { admitted: true, open: true });
  const body = await readJson(req, postMessageBody);
  const { message, created } = await postMessage(await getDb(), access, body);
  return json({ message }, created ? 201 : 200);
});

/**
 * The consult's doctor deletes every stored message of the consult (ciphertext) from the server,
 * and its documents with them (their keys were only in those messages).
 */
export const DELETE = route(async (_req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { owner: true });
  const db = await getDb();
  const files = await deleteConsultFiles(db, getBlobStore(), id);
  const deleted = await deleteMessages(db, access, files);
  return json({ deleted, files });
});
