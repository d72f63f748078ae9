import { z } from "zod";
import { authenticationOptions } from "@/lib/server/auth/passkeys";
import { thisRelyingParty } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";

/** A challenge for signing in with a passkey (anyone may ask; the answer proves who it is). */
export const POST = route(async (req) => {
  await readJson(req, z.object({}).strict());
  return json(await authenticationOptions(await getDb(), await thisRelyingParty()));
});
