import { headers } from "next/headers";
import { z } from "zod";
import { staffParams } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, readParams, route } from "@/lib/server/http";
import { mailLink } from "@/lib/server/mail";
import { publicOrigin } from "@/lib/server/origin";
import { requireAdminActor } from "@/lib/server/staff/actor";
import { resetStaff } from "@/lib/server/staff/accounts";

type Ctx = { params: Promise<{ id: string }> };

/** Resets a staff account: the password and every session stop working; answers a new one-time link. */
export const POST = route(async (req, { params }: Ctx) => {
  const actor = await requireAdminActor(req);
  const { id } = await readParams(params, staffParams);
  await readJson(req, z.object({}).strict());
  const { staff, link } = await resetStaff(await getDb(), actor, id, publicOrigin(await headers()));
  const mailed = await mailLink({ to: staff.email, name: staff.name, url: link.url, expiresAt: link.expiresAt, kind: "reset" });
  return json({ staff, link, mailed });
});
