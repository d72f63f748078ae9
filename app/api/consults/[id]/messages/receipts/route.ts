import { messageReceiptBody } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";
import { postReceipt } from "@/lib/server/messages";

/** A participant's device has decrypted ("delivered") or shown ("read") another device's messages up to a seq. */
export const POST = consultRoute({ who: "admitted" }, async (req, { access, db }) => {
  const body = await readJson(req, messageReceiptBody);
  await postReceipt(db, access, body);
  return json({ ok: true });
});
