// Vitest projects: `unit` (fast, no services) and `integration` (real PostgreSQL from
// TEST_DATABASE_URL, started by scripts/test.sh; files run one at a time).
//   npx vitest run --project unit
//   npx vitest run --project integration
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("./", import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      // tsconfig "paths": "@/*" → "./*"
      { find: /^@\//, replacement: root },
      // `server-only` throws outside React Server Components; lib/server is tested directly.
      { find: /^server-only$/, replacement: `${root}tests/support/empty.ts` },
    ],
  },
  test: {
    // next-auth imports `next/server` without an extension, which Node's resolver refuses; let
    // vitest transform it instead.
    server: { deps: { inline: ["next-auth"] } },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          environment: "node",
          include: ["tests/unit/**/*.test.ts", "lib/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          environment: "node",
          include: ["tests/integration/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
