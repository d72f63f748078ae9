import { verificationBody } from "@/lib/shared/api";
import { reportE2ee } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** A participant's browser reports what happened to the consult's encryption (lib/shared/api.ts e2eeReport): audited as its claim. */
export const POST = consultRoute({ who: "admitted" }, async (req, { access, db }) => {
  const { result } = await readJson(req, verificationBody);
  await reportE2ee(db, access, result);
  return json({ ok: true });
});
