// A slower link for a benchmark: a token-bucket filter on the namespace's loopback (`tc`, inside
// scripts/netns.sh, so nothing outside it is touched). Every byte between the browsers, the app
// and the store crosses `lo` once, so both paths of a comparison see the same link.
import { execFileSync } from "node:child_process";

/** Shapes `lo` to `rate` (tc syntax: "100mbit", "20mbit"); returns the undo, or undefined when tc cannot. */
export function shapeLoopback(rate: string): (() => void) | undefined {
  if (process.env.PARLEY_NETNS !== "1") {
    console.log(`(--files-link ${rate} ignored: only inside the private network namespace, as npm run bench runs)`);
    return undefined;
  }
  try {
    execFileSync("tc", ["qdisc", "replace", "dev", "lo", "root", "tbf", "rate", rate, "burst", "256kb", "latency", "50ms"], { stdio: "pipe" });
  } catch (err) {
    console.log(`(--files-link ${rate} ignored: tc could not shape lo: ${(err as Error).message.split("\n")[0]})`);
    return undefined;
  }
  return () => {
    try {
      execFileSync("tc", ["qdisc", "del", "dev", "lo", "root"], { stdio: "pipe" });
    } catch {
      // the namespace goes with the benchmark anyway
    }
  };
}
