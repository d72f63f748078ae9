import { requireStaffSession } from "@/lib/server/auth/me";
import { getDb } from "@/lib/server/db";
import { json, readJson, route } from "@/lib/server/http";
import { backupInfo, setBackup } from "@/lib/server/key-backup";
import { requestIp } from "@/lib/server/net/request-ip";
import { keyBackupBody } from "@/lib/shared/keys";

/** The backup key's public half and cost, for sealing new copies (null: no backup yet). */
export const GET = route(async () => {
  const me = await requireStaffSession();
  return json(await backupInfo(await getDb(), me));
});

/** Sets or replaces the passphrase backup (made in the browser; the server cannot open it). */
export const PUT = route(async (req) => {
  const me = await requireStaffSession();
  const body = await readJson(req, keyBackupBody);
  await setBackup(await getDb(), me, body, requestIp(req));
  return json({ ok: true });
});
