// Progress for the room, at a pace a person can read: transfers report many times a second (an
// upload's part requests, a download every chunk), and each report re-renders the
// room, CPU taken from the encryption on a phone or a 2-core laptop.

/** Show progress at most this often; the end is always shown. */
export const PROGRESS_EVERY_MS = 200;

/**
 * Wraps `report(done, total)`: passes the first call, then at most one per `everyMs`, and always
 * the one where done reaches total.
 */
export function throttleProgress(report: (done: number, total: number) => void, everyMs = PROGRESS_EVERY_MS, now: () => number = () => performance.now()): (done: number, total: number) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (done, total) => {
    const t = now();
    if (done < total && t - last < everyMs) return;
    last = t;
    report(done, total);
  };
}
