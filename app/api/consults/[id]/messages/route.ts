import { postMessageBody } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";
import { deleteRecord, postMessage, readHistory } from "@/lib/server/messages";
import { getBlobStore } from "@/lib/server/storage";

/**
 * The consult's sealed messages (ciphertext only): for admitted participants, and for the
 * consult's doctor at any time (the history for the record, after leaving or ending the call); audited.
 */
export const GET = consultRoute({ who: "record" }, async (_req, { access, db }) => json({ messages: await readHistory(db, access) }));

/** Stores a sealed message; a retry with the same id and bytes is answered as the first time. */
export const POST = consultRoute({ who: "admitted", open: true }, async (req, { access, db }) => {
  const body = await readJson(req, postMessageBody);
  const { message, created } = await postMessage(db, access, body);
  return json({ message }, created ? 201 : 200);
});

/**
 * The consult's doctor deletes every stored message of the consult (ciphertext) from the server,
 * and its documents with them (their keys were only in those messages).
 */
export const DELETE = consultRoute({ who: "owner" }, async (_req, { access, db }) => json(await deleteRecord(db, getBlobStore(), access)));
