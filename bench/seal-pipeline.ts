// What each stage of the sender's sealing worker costs (lib/client/files/seal-worker.ts), outside
// the room: a file chosen from disk, read, encrypted, hashed and spooled in a dedicated worker in
// headless Chromium (persistent profile: an incognito context keeps OPFS in memory), one stage
// more per mode (bench/lib/seal-pipeline-worker.ts lists them). Nothing is uploaded. Per mode: the
// worker's wall time and the browser's process-tree CPU, median of the repetitions.
//   node --import tsx bench/seal-pipeline.ts [MiB, default 256]
//   MODES=read,gcm,seal,spool-new,spool-reuse (also read-sync,read-slice)  CHUNKS=256 (KiB, comma-separated)  REPS=3
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { partSizeFor } from "../lib/client/files/upload";
import type { Answer, Progress } from "./lib/seal-pipeline-worker";
import { treeCpuMs } from "./lib/cpu";
import { openFilePage } from "./lib/file-page";
import { percentile } from "./lib/stats";

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 256) * MiB;
const modes = (process.env.MODES ?? "read,gcm,seal,spool-new,spool-reuse").split(",");
const chunks = (process.env.CHUNKS ?? "256").split(",").map((k) => Number(k) * 1024);
const reps = Number(process.env.REPS ?? 3);
/** A job that has not finished after this long is reported as a hang, with what it waited for. */
const HANG_MS = Number(process.env.HANG_MS ?? 60_000);
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

const bundle = await build({
  entryPoints: [path.join(import.meta.dirname, "lib/seal-pipeline-worker.ts")],
  bundle: true,
  format: "esm",
  write: false,
  alias: { "@": path.join(import.meta.dirname, "..") },
  logLevel: "warning",
});
const { page, browser, close } = await openFilePage({ title: "seal pipeline", bytes: size, worker: bundle.outputFiles[0]?.contents ?? new Uint8Array() });
try {
  const runs = new Map<string, { ms: number[]; cpu: number[] }>();
  for (let rep = 0; rep < reps; rep++) {
    for (const chunkSize of chunks) {
      for (const mode of modes) {
        const cpu0 = browser.pid === undefined ? NaN : treeCpuMs(browser.pid);
        const answer = await page.evaluate(
          ({ job, hangMs }) =>
            new Promise<Answer>((resolve) => {
              const file = document.querySelector("input")?.files?.[0];
              if (!file) return resolve({ error: "no file chosen" });
              const w = new Worker("/worker.js", { type: "module" });
              let last: Progress = { progress: 0, waiting: "start" };
              const end = (a: Answer) => (clearTimeout(timer), w.terminate(), resolve(a));
              const timer = setTimeout(() => end({ error: `no answer in ${hangMs} ms: ${last.progress} bytes sealed, waiting for ${last.waiting}` }), hangMs);
              w.onmessage = (e: MessageEvent<Answer | Progress>) => ("progress" in e.data ? (last = e.data) : end(e.data));
              w.onerror = (e) => end({ error: e.message });
              w.postMessage({ ...job, file });
            }),
          { job: { chunkSize, partSize: partSizeFor(chunkSize), mode }, hangMs: HANG_MS },
        );
        if ("error" in answer) {
          console.log(`${mode}, run ${rep + 1}: ${answer.error}`);
          continue;
        }
        await new Promise((r) => setTimeout(r, 300)); // let the browser's own work for it settle
        const cpu = browser.pid === undefined ? NaN : treeCpuMs(browser.pid) - cpu0;
        const key = `${mode}, ${chunkSize / 1024} KiB chunks`;
        const r = runs.get(key) ?? { ms: [], cpu: [] };
        r.ms.push(answer.ms);
        r.cpu.push(cpu);
        runs.set(key, r);
      }
    }
  }
  console.log(`Sealing worker, stage by stage, ${size / MiB} MiB from disk (median of ${reps}; load ${os.loadavg()[0]?.toFixed(1)})`);
  console.log(`${"mode".padEnd(34)}${"ms".padStart(8)}${"MiB/s".padStart(8)}${"browser CPU s".padStart(15)}`);
  for (const [key, r] of runs) {
    const ms = median(r.ms);
    console.log(`${key.padEnd(34)}${ms.toFixed(0).padStart(8)}${(size / MiB / (ms / 1000)).toFixed(0).padStart(8)}${(median(r.cpu) / 1000).toFixed(2).padStart(15)}`);
  }
} finally {
  await close();
}
