import { presenceBody } from "@/lib/shared/api";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";
import { updatePresence } from "@/lib/server/presence";

/** The caller's page is shown or hidden, its person typing or not; the others see it on the stream. */
export const POST = consultRoute({ who: "admitted", open: true }, async (req, { access, db }) => {
  const body = await readJson(req, presenceBody);
  await updatePresence(db, access, body);
  return json({ ok: true });
});
