import "server-only";
// What the server does once at start (called from instrumentation.ts): open the database, apply
// migrations and seed, so a broken database stops the start rather than a patient's first click;
// then print a setup link when the clinic has no admin yet, open the admin socket (embedded) and,
// unless on a serverless platform, start the clean-up timer; and say what to close when the
// process ends (lib/server/lifecycle.ts).
import { getDatabase, getDb } from "./db";
import { runCleanup } from "./cleanup";
import { startCleanupSchedule } from "./cleanup-schedule";
import { getBlobStore } from "./storage";
import { getServerEnv } from "./env";
import { listenAdminSocket } from "./admin-socket";
import { announceSetupLink } from "./staff/first-run";
import { getNotifier } from "./events/notifier";
import { drainThenClose, onShutdown } from "./lifecycle";
import { errField, getLog } from "./log";

export async function boot(): Promise<void> {
  const env = getServerEnv();
  try {
    const { kind, db } = await getDatabase();
    getLog().info(`database ready (${kind === "embedded" ? "embedded PGlite in DATA_DIR" : "PostgreSQL"})`);
    await announceSetupLink(db, env);
  } catch (err) {
    getLog().fatal({ err: errField(err) }, "the database could not be opened");
    process.exit(1);
  }
  // With PostgreSQL, `npm run admin` opens the database itself.
  if (env.embedded) listenAdminSocket(env.dataDir);
  const cleanup = env.serverless ? undefined : startCleanupSchedule(async () => runCleanup(await getDb(), getBlobStore(), new Date(), env.retentionDays));
  onShutdown(() =>
    drainThenClose(async () => {
      await cleanup?.stop();
      await getNotifier().close();
      await (await getDatabase()).close();
      getLog().info("database closed");
    }),
  );
}
