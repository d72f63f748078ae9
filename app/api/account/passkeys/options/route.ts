import { z } from "zod";
import { registrationOptions } from "@/lib/server/auth/passkeys";
import { requireStaffSession, thisRelyingParty } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";

/** A challenge for adding a passkey to the caller's account. */
export const POST = route(async (req) => {
  const me = await requireStaffSession({ enrolling: true });
  await readJson(req, z.object({}).strict());
  return json(await registrationOptions(await getDb(), me, await thisRelyingParty()));
});
