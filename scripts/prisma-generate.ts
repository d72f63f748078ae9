// `prisma generate` that works offline. Every Prisma CLI command first tries to download a native
// schema engine; generate does not run it, so pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing
// file lets it through (../shared/MACHINE-NOTES.md). Where the variable is already set, or the
// engine is present, this changes nothing.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
env.CHECKPOINT_DISABLE = "1";
const r = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
process.exit(r.status ?? 1);
