import "server-only";
// What a database error means, whichever driver raised it (pg through Prisma's adapter, PGlite):
// one place that knows the codes and the wording.

/** A unique index refused the row (SQLSTATE 23505; Prisma's P2002 or its adapter's wording). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002") return true;
  const text = err instanceof Error ? `${err.message} ${JSON.stringify((err as { meta?: unknown }).meta ?? {})}` : String(err);
  return /23505|unique constraint|UniqueConstraintViolation/i.test(text);
}

/** A transaction the database aborted as a write conflict or deadlock (Prisma's P2034): retry it. */
export function isWriteConflict(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && (err as { code?: unknown }).code === "P2034";
}
