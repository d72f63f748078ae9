// `npm start`: the main job on the embedded default (or on DATABASE_URL / S3_* when set).
// 1. checks the settings and says clearly what is wrong; 2. builds (`npm run build`) when the
// sources changed since the last build, so a newcomer never runs a stale app; 3. runs the built
// server, .next/standalone/parley.mjs, as the container image does. The server itself applies
// migrations and seeds the demo accounts on boot (instrumentation.ts).
import { spawn } from "node:child_process";
import path from "node:path";
import { settingsOrExit } from "./lib/settings";
import { buildIsCurrent, ENTRY, productionBuild, STANDALONE } from "./lib/production-build";

const root = process.cwd();
settingsOrExit();
if (!buildIsCurrent(root)) {
  console.log("[parley] building the app for these sources (about a minute on 2 cores)…");
  const t0 = Date.now();
  if (!(await productionBuild(root))) {
    console.error("[parley] the build failed; see the messages above.");
    process.exit(1);
  }
  console.log(`[parley] built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// JSON log lines for a collector, plain lines for a person at a terminal (LOG_FORMAT decides).
const logFormat = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? "text" : "json");
const server = spawn(process.execPath, [path.join(root, STANDALONE, ENTRY)], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", LOG_FORMAT: logFormat } });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
