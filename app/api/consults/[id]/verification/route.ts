import { verificationBody } from "@/lib/shared/api";
import { reportMismatch } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** A participant reports that the call codes differed (a possible interception): audited. */
export const POST = consultRoute({ who: "admitted" }, async (req, { access, db }) => {
  await readJson(req, verificationBody);
  await reportMismatch(db, access);
  return json({ ok: true });
});
