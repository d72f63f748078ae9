import { consultParams } from "@/lib/shared/api";
import { requireConsultAccess } from "@/lib/server/authz";
import { endConsult } from "@/lib/server/consults";
import { inBackground } from "@/lib/server/background";
import { getDb } from "@/lib/server/db";
import { sweepAbandonedUploads } from "@/lib/server/files";
import { getBlobStore } from "@/lib/server/storage";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { z } from "zod";

type Ctx = { params: Promise<{ id: string }> };

/** The doctor ends the consult for everyone; uploads still under way are aborted (in the background). */
export const POST = route(async (req, { params }: Ctx) => {
  const { id } = await readParams(params, consultParams);
  const access = await requireConsultAccess(id, { owner: true });
  await readJson(req, z.object({}).strict());
  const db = await getDb();
  await endConsult(db, access);
  inBackground("aborting the uploads of an ended consult", () => sweepAbandonedUploads(db, getBlobStore(), { consultId: id }));
  return json({ ok: true });
});
