import "server-only";
// At start: a clinic with no active admin gets a one-time setup link in the server's log, so the
// first account is made by whoever can read that log, never with a known password.
import type { Db } from "../db";
import type { ServerEnv } from "../env";
import { hasActiveAdmin, issueSetupLink } from "./accounts";
import { configuredOrigin } from "./origin";
import { getLog } from "../log";

export async function announceSetupLink(db: Db, env: ServerEnv): Promise<void> {
  if (await hasActiveAdmin(db)) return;
  const link = await issueSetupLink(db, null, configuredOrigin(env));
  const log = getLog();
  log.info(`no admin account yet. Create the first one with this one-time setup link (valid 24 h): ${link.url}`);
  if (!env.publicUrl) log.info("(set PUBLIC_URL to the address people use, so links point there)");
}
