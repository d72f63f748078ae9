// A hash over everything that goes into a production build, so `npm start` rebuilds exactly when
// the sources changed since the last build.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const INPUTS = [
  "app",
  "components",
  "lib",
  "public",
  "prisma/schema.prisma",
  "proxy.ts",
  "instrumentation.ts",
  "instrumentation-client.ts",
  "next.config.mjs",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
  // what production-build.ts bundles into parley.mjs
  "scripts/serve.ts",
  "scripts/lib",
];
const SKIP = /(^|\/)(node_modules|\.next|__tests__)(\/|$)|\.test\.tsx?$/;

function walk(root: string, rel: string, out: string[]): void {
  const abs = path.join(root, rel);
  if (!existsSync(abs) || SKIP.test(rel)) return;
  if (statSync(abs).isDirectory()) {
    for (const name of readdirSync(abs).sort()) walk(root, path.posix.join(rel, name), out);
  } else {
    out.push(rel);
  }
}

export function sourceHash(root: string): string {
  const files: string[] = [];
  for (const input of INPUTS) walk(root, input, files);
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f)
      .update("\0")
      .update(readFileSync(path.join(root, f)))
      .update("\0");
  }
  return h.digest("hex");
}
