import { totpConfirmBody } from "@/lib/shared/factors";
import { confirmTotp } from "@/lib/server/auth/factors";
import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";

/** The first code from the app confirms it; the answer holds the recovery codes, shown once. */
export const POST = route(async (req) => {
  const me = await requireStaffSession({ enrolling: true });
  const { code } = await readJson(req, totpConfirmBody);
  return json({ recoveryCodes: await confirmTotp(await getDb(), me, code, requestIp(req)) });
});
