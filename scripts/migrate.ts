// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, or to the embedded database in
// DATA_DIR, and exits. The server does the same on start; this is for deploy pipelines that
// migrate before rolling out, and for checking a database by hand.
import { parseServerEnv } from "../lib/server/env";
import { openDatabase } from "../lib/server/db";

const env = parseServerEnv(process.env);
const t0 = Date.now();
const open = await openDatabase({ databaseUrl: env.databaseUrl, directUrl: env.directDatabaseUrl, dataDir: env.dataDir });
await open.close();
console.log(`[parley] ${open.kind === "embedded" ? `embedded database in ${env.dataDir}` : "PostgreSQL"} is up to date (${Date.now() - t0} ms)`);
