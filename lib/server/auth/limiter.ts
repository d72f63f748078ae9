import "server-only";
// Slows password guessing: after 10 failures for one email within 15 minutes, further attempts
// are refused until the window passes. Per process (one clinic server); a multi-instance
// deployment should also rate-limit at its proxy.
const WINDOW_MS = 15 * 60 * 1000;
const MAX_FAILURES = 10;

class FailureLimiter {
  private failures = new Map<string, number[]>();

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }
  allow(key: string, now = Date.now()): boolean {
    return this.recent(key, now).length < MAX_FAILURES;
  }
  fail(key: string, now = Date.now()): void {
    this.failures.set(key, [...this.recent(key, now), now]);
  }
  reset(key: string): void {
    this.failures.delete(key);
  }
}

const g = globalThis as { __parleySignInLimiter?: FailureLimiter };
g.__parleySignInLimiter ??= new FailureLimiter();
export const signInLimiter = g.__parleySignInLimiter;
