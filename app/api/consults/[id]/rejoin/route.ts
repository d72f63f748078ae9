import { z } from "zod";
import { rejoin } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** After leaving: a patient goes back to the waiting room, the doctor back into the consult. */
export const POST = consultRoute({ who: "participant", open: true }, async (req, { access, db }) => {
  await readJson(req, z.object({}).strict());
  await rejoin(db, access);
  return json({ ok: true });
});
