// Prisma CLI configuration. The app never reads this file: lib/server/db decides at run time
// between embedded PGlite and a real PostgreSQL. DATABASE_URL is read defensively because the
// embedded default has none (prisma's env() throws on a missing variable).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://unset@127.0.0.1:5432/parley" },
});
