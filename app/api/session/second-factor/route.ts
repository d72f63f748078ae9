import { secondFactorBody } from "@/lib/shared/factors";
import { requireSession } from "@/lib/server/authz";
import { completeSecondFactor } from "@/lib/server/auth/factors";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";

/** The second step of a password sign-in: a code from the authenticator app, or a recovery code. */
export const POST = route(async (req) => {
  const me = await requireSession("second_factor");
  const body = await readJson(req, secondFactorBody);
  await completeSecondFactor(await getDb(), me, body, requestIp(req));
  return json({ ok: true });
});
