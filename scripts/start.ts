// `npm start`: the main job on the embedded default (or on DATABASE_URL / S3_* when set).
// 1. checks the settings and says clearly what is wrong; 2. builds a production build if there is
// none for the current sources; 3. serves on HOST:PORT with `next start`. The server itself
// applies migrations and seeds the demo accounts on boot (instrumentation.ts).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { settingsOrExit } from "./lib/settings";
import { settingsWarnings } from "../lib/server/env";
import { sourceHash } from "./lib/source-hash";

const root = process.cwd();
const env = settingsOrExit();
for (const w of settingsWarnings(env)) console.warn(`[parley] warning: ${w}`);

const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const stamp = path.join(root, ".next", "parley-source-hash");
const hash = sourceHash(root);
const built = existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash;
if (!built) {
  console.log("[parley] building the app for these sources (about a minute on 2 cores)…");
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [nextBin, "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (r.status !== 0) {
    console.error("[parley] the build failed; see the messages above.");
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, hash);
  console.log(`[parley] built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const childEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATA_DIR: env.dataDir };
if (env.publicUrl) childEnv.AUTH_URL = env.publicUrl;
console.log(
  `[parley] starting on http://${env.host}:${env.port} — ${env.embedded ? `embedded database in ${env.dataDir}` : "PostgreSQL from DATABASE_URL"}${env.seedDemo ? `; demo accounts doctor@parley.test / admin@parley.test, password from DEMO_PASSWORD (default parley-demo)` : ""}`,
);
const server = spawn(process.execPath, ["--import", import.meta.resolve("./lib/client-ip-preload.mjs"), nextBin, "start", "-H", env.host, "-p", String(env.port)], { stdio: "inherit", env: childEnv });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
