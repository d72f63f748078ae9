import { transcriptReportBody } from "@/lib/shared/api";
import { reportTranscriptExport } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** The doctor's browser exported the decrypted transcript (it never reaches the server): audited as the client's claim. */
export const POST = consultRoute({ who: "owner" }, async (req, { access, db }) => {
  const { messages } = await readJson(req, transcriptReportBody);
  await reportTranscriptExport(db, access, messages);
  return json({ ok: true });
});
