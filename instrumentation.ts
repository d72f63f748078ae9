// Runs once when the server process starts: opens the database, applies migrations and seeds the
// demo accounts before the first request, so a broken database fails the start, not a patient's
// first click. Skipped while `next build` loads modules.
export async function register() {
  const building = process.env.NEXT_PHASE === "phase-production-build" || process.env.NEXT_IS_EXPORT_WORKER === "true";
  if (process.env.NEXT_RUNTIME !== "nodejs" || building) return;
  const { getDatabase } = await import("./lib/server/db");
  try {
    const { kind } = await getDatabase();
    console.log(`[parley] database ready (${kind === "embedded" ? "embedded PGlite in DATA_DIR" : "PostgreSQL"})`);
  } catch (err) {
    console.error("[parley] the database could not be opened:", (err as Error).message);
    process.exit(1);
  }
}
