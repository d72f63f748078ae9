import { factorsOf } from "@/lib/server/auth/factors";
import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, route } from "@/lib/server/http";

/** The caller's second factors: passkeys, whether an authenticator app is set up, recovery codes left. */
export const GET = route(async () => {
  const me = await requireStaffSession({ enrolling: true });
  return json(await factorsOf(await getDb(), me.id));
});
