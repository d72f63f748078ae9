// The sign-in backoff schedule, pure. A key (an account, a source address) gets some free failed
// attempts; after those, each failure doubles the wait before the next password is even checked,
// up to a cap. Attempts refused while waiting are not failures (they change nothing), so nobody
// can push a key's wait beyond the cap, and the real user is at most one wait away: a backoff,
// never a lockout. A quiet day forgets a key.
export type BackoffPolicy = { free: number; baseMs: number; maxMs: number };

export const ACCOUNT_POLICY: BackoffPolicy = { free: 5, baseMs: 1_000, maxMs: 15 * 60_000 };
/** one address may be a clinic's NAT, so it gets more room */
export const ADDRESS_POLICY: BackoffPolicy = { free: 20, baseMs: 1_000, maxMs: 15 * 60_000 };
export const FORGET_AFTER_MS = 24 * 60 * 60_000;

/** The wait after the `failures`-th failure in a row. */
export function delayAfter(failures: number, p: BackoffPolicy): number {
  if (failures <= p.free) return 0;
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.min(30, failures - p.free - 1));
}

/** The failure count after one more failure at `now`, given the stored count and its time. */
export function nextFailures(stored: { failures: number; lastFailureAt: Date } | undefined, now: Date): number {
  if (!stored || now.getTime() - stored.lastFailureAt.getTime() > FORGET_AFTER_MS) return 1;
  return stored.failures + 1;
}

/** The key of a source address: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64). */
export function addressKey(address: string): string {
  if (!address.includes(":")) return `ip:${address}`;
  const [head = "", tail = ""] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right] : left;
  return `ip:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, "").toLowerCase())
    .join(":")}::/64`;
}
