// Type-aware linting: typescript-eslint's type-checked rules plus Next's core-web-vitals rules,
// and the boundaries of DESIGN.md (components never import server code; lib/crypto imports
// nothing from the app).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";
import nextVitals from "eslint-config-next/core-web-vitals";

const root = dirname(fileURLToPath(import.meta.url));

export default tseslint.config(
  {
    ignores: [".next/**", "node_modules/**", "lib/server/db/generated/**", ".data/**", ".test-stack/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "bench/results/**"],
  },
  ...nextVitals,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ["components/**", "app/**/*.tsx"],
    ignores: ["app/**/page.tsx", "app/**/layout.tsx"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@/lib/server/*", "**/lib/server/*"], message: "Client components never import server code." }] }],
    },
  },
  {
    files: ["lib/crypto/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@/*", "../*", "react", "next/*"], message: "lib/crypto is pure: it imports nothing from the app." }] }],
      "no-console": "error",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
