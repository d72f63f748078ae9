// CPU time used by a process tree (Linux /proc): what a benchmark case cost the server and its
// database, a figure that holds up better than latency on a machine shared with other work. The
// tree walk also serves bench/lib/memory.ts.
import { readFileSync, readdirSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one process, in ms (0 when it is gone). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The direct children of `pid`. */
export function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (list) out.push(...list.split(" ").map(Number));
    }
  } catch {
    // gone, or not Linux
  }
  return out;
}

/** `pid` and all its descendants, as they are now. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    out.push(p);
    stack.push(...children(p));
  }
  return out;
}

/** CPU ms of `pid` and all its descendants (processes that exited meanwhile are not counted). */
export function treeCpuMs(pid: number): number {
  return processTree(pid).reduce((total, p) => total + processCpuMs(p), 0);
}

/** The machine's 1-minute load average, to show how busy it was besides the benchmark. */
export function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}
