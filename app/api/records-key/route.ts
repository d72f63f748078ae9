import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, route } from "@/lib/server/http";
import { currentRecordsKey } from "@/lib/server/records-key";

/** The clinic's records key that devices seal consult keys to (the public half), or null. */
export const GET = route(async () => {
  await requireStaffSession();
  return json(await currentRecordsKey(await getDb()));
});
