// `npm run dev`: Next's development server on HOST:PORT, embedded defaults as for `npm start`.
import { spawn } from "node:child_process";
import path from "node:path";
import { parseServerEnv } from "../lib/server/env";

const env = parseServerEnv(process.env);
const nextBin = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: env.dataDir, NEXT_TELEMETRY_DISABLED: "1" };
if (env.publicUrl) childEnv.AUTH_URL = env.publicUrl;
const server = spawn(process.execPath, ["--import", import.meta.resolve("./lib/client-ip-preload.mjs"), nextBin, "dev", "-H", env.host, "-p", String(env.port)], { stdio: "inherit", env: childEnv });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.kill(sig));
server.on("exit", (code) => process.exit(code ?? 0));
