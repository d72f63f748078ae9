// CPU time used by a process tree (Linux /proc): what a benchmark case cost the server and its
// database, a figure that holds up better than latency on a machine shared with other work. The
// tree walk also serves bench/lib/memory.ts.
import { readFileSync, readdirSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one process, in ms (0 when it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Minor page faults of one process so far: each first touch of a fresh page of memory. */
function processMinorFaults(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
  } catch {
    return 0;
  }
}

/** Minor page faults of `pid` and its descendants (processes that exited meanwhile are not counted). */
export function treeMinorFaults(pid: number): number {
  return processTree(pid).reduce((total, p) => total + processMinorFaults(p), 0);
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

/** Chromium's kind of process: renderer, gpu-process, a utility's service (NetworkService, …) or browser. */
export function processKind(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const type = /--type=([\w-]+)/.exec(cmd)?.[1];
    if (!type) return "browser";
    const service = /--utility-sub-type=[\w.]*?(\w+)\0/.exec(cmd)?.[1];
    return type === "utility" && service ? service : type;
  } catch {
    return "gone";
  }
}

/**
 * CPU ms of every thread in the tree, keyed "process kind/thread name" (threads of one name in
 * processes of one kind are summed, e.g. all of a renderer's "ThreadPoolForeg" workers).
 */
export function treeThreadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of processTree(pid)) {
    const kind = processKind(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const stat = readFileSync(`/proc/${p}/task/${t}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const key = `${kind}/${name}`;
        out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS);
      } catch {
        // exited meanwhile
      }
    }
  }
  return out;
}

/** What each thread of `after` used since `before`, largest first, the `n` largest. */
export function threadCpuDelta(before: Map<string, number>, after: Map<string, number>, n = 8): [string, number][] {
  return [...after]
    .map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

/** The machine's 1-minute load average, to show how busy it was besides the benchmark. */
export function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** The machine's idle and total CPU ticks so far (/proc/stat), for how busy it was during a span. */
export function machineTicks(): { idle: number; total: number } {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    return { idle: (f[3] ?? 0) + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return { idle: NaN, total: NaN };
  }
}
