import { z } from "zod";
import { requireUser } from "@/lib/server/authz";
import { touchSession } from "@/lib/server/auth/sessions";
import { getDb } from "@/lib/server/db";
import { getServerEnv } from "@/lib/server/env";
import { json, readJson, route } from "@/lib/server/http";

/**
 * The browser reports that someone is using the page (or a call is in progress): the idle clock of
 * this session starts again. Background requests and event streams never do this.
 */
export const POST = route(async (req) => {
  const user = await requireUser();
  await readJson(req, z.object({}).strict());
  if (user.sessionId) await touchSession(await getDb(), user.sessionId);
  return json({ idleTimeoutMs: user.role === "patient" ? null : getServerEnv().idleTimeoutMs });
});
