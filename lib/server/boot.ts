import "server-only";
// What the server does once at start (called from instrumentation.ts): open the database, apply
// migrations and seed, so a broken database stops the start rather than a patient's first click.
import { getDatabase } from "./db";

export async function boot(): Promise<void> {
  try {
    const { kind } = await getDatabase();
    console.log(`[parley] database ready (${kind === "embedded" ? "embedded PGlite in DATA_DIR" : "PostgreSQL"})`);
  } catch (err) {
    console.error("[parley] the database could not be opened:", (err as Error).message);
    process.exit(1);
  }
}
