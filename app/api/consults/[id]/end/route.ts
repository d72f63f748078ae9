import { z } from "zod";
import { endConsultForAll } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";
import { getBlobStore } from "@/lib/server/storage";

/** The doctor ends the consult for everyone; uploads still under way are aborted (in the background). */
export const POST = consultRoute({ who: "owner" }, async (req, { access, db }) => {
  await readJson(req, z.object({}).strict());
  await endConsultForAll(db, getBlobStore(), access);
  return json({ ok: true });
});
