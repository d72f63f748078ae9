import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { addPasskeyBody } from "@/lib/shared/factors";
import { addPasskey } from "@/lib/server/auth/factors";
import { requireStaffSession, thisRelyingParty } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";

/** Adds a passkey: the browser's answer to the challenge from ./options, checked by @simplewebauthn/server. */
export const POST = route(async (req) => {
  const me = await requireStaffSession({ enrolling: true });
  const body = await readJson(req, addPasskeyBody);
  const passkey = await addPasskey(await getDb(), me, await thisRelyingParty(), { ...body, response: body.response as unknown as RegistrationResponseJSON }, requestIp(req));
  return json({ passkey }, 201);
});
