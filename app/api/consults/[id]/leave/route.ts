import { z } from "zod";
import { leave } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";

/** The caller leaves the consult (hangs up); they may come back while it is open. */
export const POST = consultRoute({ who: "participant" }, async (req, { access, db }) => {
  await readJson(req, z.object({}).strict());
  await leave(db, access);
  return json({ ok: true });
});
