import { headers } from "next/headers";
import { createStaffBody } from "@/lib/shared/staff";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { mailLink } from "@/lib/server/mail";
import { publicOrigin } from "@/lib/server/origin";
import { requireAdminActor } from "@/lib/server/staff/actor";
import { createStaffMember, listStaff } from "@/lib/server/staff/accounts";

export const GET = route(async (req) => {
  await requireAdminActor(req);
  return json({ staff: await listStaff(await getDb()) });
});

/** Adds a staff member; answers their one-time password link (also mailed when SMTP_URL is set). */
export const POST = route(async (req) => {
  const actor = await requireAdminActor(req);
  const body = await readJson(req, createStaffBody);
  const { staff, link } = await createStaffMember(await getDb(), actor, body, publicOrigin(await headers()));
  const mailed = await mailLink({ to: staff.email, name: staff.name, url: link.url, expiresAt: link.expiresAt, kind: "welcome" });
  return json({ staff, link, mailed }, 201);
});
