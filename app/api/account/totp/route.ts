import { z } from "zod";
import { removeTotp, startTotp } from "@/lib/server/auth/factors";
import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { requestIp } from "@/lib/server/net/request-ip";

/** Starts adding an authenticator app: a new secret as a QR code; ./confirm takes the first code. */
export const POST = route(async (req) => {
  const me = await requireStaffSession({ enrolling: true });
  await readJson(req, z.object({}).strict());
  return json(await startTotp(await getDb(), me), 201);
});

/** Removes the authenticator app and its recovery codes (not the last factor where the clinic requires one). */
export const DELETE = route(async (req) => {
  const me = await requireStaffSession();
  await removeTotp(await getDb(), me, requestIp(req));
  return json({ ok: true });
});
