// Memory of a browser while it works: the resident set (VmRSS from /proc) of the whole Chromium
// process tree — browser, zygotes, renderers, GPU and utility processes (the network service
// holds upload bodies and blobs) — and, when a CDP session of the page is given, that page's JS
// heap (Performance.getMetrics JSHeapUsedSize). Summing RSS counts shared pages once per process,
// so absolute figures are high; the increase over the baseline is what a benchmark compares.
import { readFileSync } from "node:fs";
import type { CDPSession } from "@playwright/test";
import { processKind, processTree } from "./cpu";

function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

/** Summed VmRSS of `pid` and its descendants, in bytes. */
export function treeRssBytes(pid: number): number {
  return processTree(pid).reduce((total, p) => total + rssBytes(p), 0);
}

/** Summed VmRSS of the tree by kind of process, in bytes. */
function treeRssByKind(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of processTree(pid)) {
    const kind = processKind(p);
    out[kind] = (out[kind] ?? 0) + rssBytes(p);
  }
  return out;
}

async function jsHeapUsed(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? NaN;
}

/** Baseline and peak of one operation, in bytes. */
export type MemoryPeak = {
  rssBaseline: number;
  rssPeak: number;
  heapBaseline?: number;
  heapPeak?: number;
  samples: number;
  /** at the peak: each kind of process's increase over its baseline, in bytes */
  peakIncreaseByKind?: Record<string, number>;
};

export type MemoryWatch = { stop(): Promise<MemoryPeak> };

/**
 * Takes the baseline now (after a garbage collection of the page, when `cdp` is given, so
 * baselines do not depend on what earlier runs left for the collector), then samples every
 * `everyMs` until stop(), which takes a last sample.
 */
export async function watchMemory(pid: number, cdp?: CDPSession, everyMs = 50): Promise<MemoryWatch> {
  if (cdp) {
    await cdp.send("Performance.enable");
    await cdp.send("HeapProfiler.collectGarbage");
  }
  const baseByKind = treeRssByKind(pid);
  const peak: MemoryPeak = { rssBaseline: Object.values(baseByKind).reduce((a, b) => a + b, 0), rssPeak: 0, samples: 0 };
  if (cdp) peak.heapBaseline = peak.heapPeak = await jsHeapUsed(cdp);
  peak.rssPeak = peak.rssBaseline;
  let heapPending = false;
  const sample = () => {
    peak.samples++;
    const byKind = treeRssByKind(pid);
    const rss = Object.values(byKind).reduce((a, b) => a + b, 0);
    if (rss > peak.rssPeak) {
      peak.rssPeak = rss;
      peak.peakIncreaseByKind = Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, v - (baseByKind[k] ?? 0)]));
    }
    // One CDP request at a time: a busy renderer answers late, and requests must not pile up.
    if (cdp && !heapPending) {
      heapPending = true;
      void jsHeapUsed(cdp)
        .then(
          (h) => (peak.heapPeak = Math.max(peak.heapPeak ?? 0, h)),
          () => undefined,
        )
        .finally(() => (heapPending = false));
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      sample();
      if (cdp) peak.heapPeak = Math.max(peak.heapPeak ?? 0, await jsHeapUsed(cdp));
      return peak;
    },
  };
}
