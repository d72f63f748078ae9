// The production server's entry, bundled by `npm run build` into .next/standalone/parley.mjs and run
// as `node parley.mjs` by `npm start` and by the container image. Before Next's server loads it
// checks the settings (a wrong one ends the start naming it), prints the warnings, stamps the
// client's address on every request (lib/client-ip.ts, TRUSTED_PROXIES), and hands HOST, PORT and
// PUBLIC_URL to Next under the names it reads.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { settingsWarnings } from "../lib/server/env";
import { installClientIp, trustedHopsFrom } from "./lib/client-ip";
import { settingsOrExit } from "./lib/settings";

const env = settingsOrExit();
for (const w of settingsWarnings(env)) console.warn(`[parley] warning: ${w}`);
try {
  installClientIp(trustedHopsFrom(process.env.TRUSTED_PROXIES));
} catch (err) {
  console.error(`[parley] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

// server.js moves into its own folder, so DATA_DIR must be absolute before it loads.
Object.assign(process.env, { HOSTNAME: env.host, PORT: String(env.port), DATA_DIR: env.dataDir, NEXT_TELEMETRY_DISABLED: "1" });
if (env.publicUrl) process.env.AUTH_URL = env.publicUrl;
console.log(
  `[parley] starting on http://${env.host}:${env.port} — ${env.embedded ? `embedded database in ${env.dataDir}` : "PostgreSQL from DATABASE_URL"}${env.seedDemo ? `; demo accounts doctor@parley.test / admin@parley.test, password from DEMO_PASSWORD (default parley-demo)` : ""}`,
);
await import(pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "server.js")).href);
