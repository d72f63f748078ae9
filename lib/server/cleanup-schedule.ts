import "server-only";
// The clean-up (cleanup.ts) on a timer, for a server that keeps running (`npm start`, a container):
// signals, presence and receipts go on schedule even when no event stream is open. boot.ts starts
// it, except on a serverless platform, where nothing runs between requests and /api/cron/cleanup
// does the same work (vercel.json). The timer never keeps the process alive, and runs never overlap.
import type { CleanupReport } from "./cleanup";
import { errField, getLog } from "./log";

export const CLEANUP_EVERY_MS = 5 * 60_000;

export type CleanupSchedule = {
  /** Stops the timer; resolves once a run under way has ended (close the database after it). */
  stop(): Promise<void>;
};

export function startCleanupSchedule(run: () => Promise<CleanupReport>, everyMs = CLEANUP_EVERY_MS): CleanupSchedule {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return; // a slow run is not joined by the next one
    running = run()
      .then(
        (report) => {
          const { retention, ...rest } = report;
          const removed = Object.values(rest).some((n) => n > 0) || retention.messages + retention.documents + retention.storeFailures > 0;
          getLog()[retention.storeFailures ? "warn" : removed ? "info" : "debug"]({ ...rest, retention }, "scheduled clean-up");
        },
        (err: unknown) => getLog().warn({ err: errField(err) }, "scheduled clean-up failed"),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
