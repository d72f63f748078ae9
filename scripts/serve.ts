// The production server's entry, bundled by `npm run build` into .next/standalone/parley.mjs and run
// as `node parley.mjs` by `npm start` and by the container image. Before Next's server loads it
// checks the settings (a wrong one ends the start naming it), prints the warnings, stamps the
// client's address on every request (lib/client-ip.ts, TRUSTED_PROXIES), logs every request under
// a request id (lib/request-log.ts, lib/server/log.ts), and hands HOST, PORT and
// PUBLIC_URL to Next under the names it reads. On SIGTERM or SIGINT it shuts down in order instead
// of Next's immediate exit: no new connections, open event streams told to reconnect, the database
// closed (an embedded one written out), then exit (lib/server/lifecycle.ts).
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { settingsWarnings } from "../lib/server/env";
import { errField, getLog } from "../lib/server/log";
import { installClientIp } from "./lib/client-ip";
import { installRequestLog } from "./lib/request-log";
import { settingsOrExit } from "./lib/settings";

const env = settingsOrExit();
const log = getLog();
for (const w of settingsWarnings(env)) log.warn(w);
installClientIp(env.trustedProxies);
installRequestLog(log, env.trustedProxies > 0);

// The servers Next opens, to stop taking connections at shutdown.
const servers = new Set<http.Server>();
const proto = http.Server.prototype as unknown as { listen: (this: http.Server, ...args: unknown[]) => http.Server };
const listen = proto.listen;
proto.listen = function (this: http.Server, ...args: unknown[]) {
  servers.add(this);
  return listen.apply(this, args);
};

const SHUTDOWN_LIMIT_MS = 10_000;
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<never> {
  // Ctrl-C reaches both this process and npm start's, which passes it on: one shutdown, bounded below.
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  // Whatever happens below, the process ends (this timer keeps the loop alive until it fires).
  setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS + 2_000);
  log.info({ signal }, "shutting down: open streams are told to reconnect");
  for (const s of servers) {
    s.close();
    s.closeIdleConnections();
  }
  const hook = (globalThis as { __parleyShutdown?: () => Promise<void> }).__parleyShutdown;
  const limit = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), SHUTDOWN_LIMIT_MS).unref());
  try {
    if ((await Promise.race([hook?.(), limit])) === "late") log.error(`shutdown took over ${SHUTDOWN_LIMIT_MS / 1000} s; exiting anyway`);
  } catch (err) {
    log.error({ err: errField(err) }, "shutdown failed");
    process.exit(1);
  }
  process.exit(0);
}
process.env.NEXT_MANUAL_SIG_HANDLE = "true"; // Next's own handlers would exit at once
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown(signal));

// server.js moves into its own folder, so DATA_DIR must be absolute before it loads.
Object.assign(process.env, { HOSTNAME: env.host, PORT: String(env.port), DATA_DIR: env.dataDir, NEXT_TELEMETRY_DISABLED: "1" });
// Node closes an idle keep-alive connection after 5 s, racing a client (a proxy, a load balancer)
// that reuses it at that moment: the request fails with a reset. Idle connections are the client's
// to close: keep them longer than the common proxies' own limit (60 s).
process.env.KEEP_ALIVE_TIMEOUT ??= "65000";
if (env.publicUrl) process.env.AUTH_URL = env.publicUrl;
log.info(
  `starting on http://${env.host}:${env.port} — ${env.embedded ? `embedded database in ${env.dataDir}` : "PostgreSQL from DATABASE_URL"}${env.seedDemo ? `; demo accounts doctor@parley.test / admin@parley.test, password from DEMO_PASSWORD (default parley-demo)` : ""}`,
);
await import(pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "server.js")).href);
