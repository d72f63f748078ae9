import { registerDeviceBody } from "@/lib/shared/api";
import { requireUser } from "@/lib/server/authz";
import { requireStaffSession } from "@/lib/server/auth/me";
import { listDevices, registerDevice } from "@/lib/server/devices";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";

/** Registers this browser profile's identity public key as a device of the caller. */
export const POST = route(async (req) => {
  const user = await requireUser();
  const body = await readJson(req, registerDeviceBody);
  return json(await registerDevice(await getDb(), user, body.identityKey), 201);
});

/** The caller's active devices, with fingerprints and box keys (PROTOCOL §7.2). */
export const GET = route(async () => {
  const me = await requireStaffSession();
  return json(await listDevices(await getDb(), me));
});
