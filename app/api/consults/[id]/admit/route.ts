import { admitBody } from "@/lib/shared/api";
import { admit } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** The doctor admits a waiting patient into the consult. */
export const POST = consultRoute({ who: "owner", open: true }, async (req, { access, db }) => {
  const body = await readJson(req, admitBody);
  await admit(db, access, body.participantId);
  return json({ ok: true });
});
