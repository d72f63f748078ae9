import { headers } from "next/headers";
import { z } from "zod";
import { newInvite } from "@/lib/server/consults";
import { consultRoute } from "@/lib/server/consult-route";
import { json, readJson } from "@/lib/server/http";
import { publicOrigin } from "@/lib/server/origin";

/** A new invite link; the consult's unused links stop working. */
export const POST = consultRoute({ who: "owner", open: true }, async (req, { access, db }) => {
  await readJson(req, z.object({}).strict());
  return json(await newInvite(db, access, publicOrigin(await headers())), 201);
});
