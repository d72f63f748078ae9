// What sending costs the browser depending on where a part's bytes are: 8 MiB slices of a file
// chosen from disk (the files bench's plain upload) against the same bytes as 8 MiB files in the
// origin-private file system (what the room's spool hands over), PUT 3 at a time to a local sink
// that discards them. Only the sending is timed: the OPFS files are written beforehand by a worker
// through sync access handles. Wall time and CPU by kind of Chromium process, median of REPS.
// MODES adds bytes held in the page's memory: sent as a Blob made of them, or as the bytes
// themselves with XMLHttpRequest or fetch (the last two are far slower, as Chromium carries a byte
// body to the network service much more slowly than a file: why sealed parts are never sent that
// way; figures in docs/benchmarks.md).
//   node --import tsx bench/put-source.ts [MiB, default 256]   REPS=3
//   MODES=file,opfs,blob,xhr,fetch (default file,opfs)
import os from "node:os";
import { processCpuMs, processKind, processTree } from "./lib/cpu";
import { openFilePage } from "./lib/file-page";
import { percentile } from "./lib/stats";

const MiB = 1024 * 1024;
const PART = 8 * MiB;
const size = Number(process.argv[2] ?? 256) * MiB;
const reps = Number(process.env.REPS ?? 3);
const MODES = { file: "chosen file", opfs: "OPFS files", blob: "memory, as a Blob", xhr: "memory, XHR bytes", fetch: "memory, fetch bytes" } as const;
const modes = (process.env.MODES ?? "file,opfs").split(",").map((m) => {
  if (!(m in MODES)) throw new Error(`MODES: comma-separated, of ${Object.keys(MODES).join(" ")}`);
  return m as keyof typeof MODES;
});
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const cpuByKind = (root: number) => {
  const out: Record<string, number> = {};
  for (const p of processTree(root)) out[processKind(p)] = (out[processKind(p)] ?? 0) + processCpuMs(p);
  return out;
};

// The spool writer: copies the chosen file into 8 MiB OPFS files part-<n>, then answers.
const writer = `onmessage = async ({ data: { file, part } }) => {
  const root = await navigator.storage.getDirectory();
  for (let at = 0, n = 0; at < file.size; at += part, n++) {
    const h = await (await root.getFileHandle("part-" + n, { create: true })).createSyncAccessHandle();
    h.write(new Uint8Array(await file.slice(at, at + part).arrayBuffer()), { at: 0 });
    h.close();
  }
  postMessage("written");
};`;
const { page, browser, close } = await openFilePage({ title: "put source", bytes: size, worker: writer });
try {
  await page.evaluate(
    (part) =>
      new Promise((resolve) => {
        const w = new Worker("/worker.js");
        w.onmessage = () => (w.terminate(), resolve(undefined));
        w.postMessage({ file: document.querySelector("input")?.files?.[0], part });
      }),
    PART,
  );
  const runs: Record<string, { ms: number[]; cpu: Record<string, number>[] }> = {};
  for (let rep = 0; rep < reps; rep++) {
    for (const from of modes) {
      const before = browser.pid === undefined ? {} : cpuByKind(browser.pid);
      const ms = await page.evaluate(
        async ({ part, from }) => {
          const file = document.querySelector("input")?.files?.[0];
          if (!file) throw new Error("no file chosen");
          const root = await navigator.storage.getDirectory();
          const put = (body: Blob | Uint8Array) =>
            from === "fetch"
              ? fetch("/sink", { method: "PUT", body: body as BodyInit }).then(() => undefined)
              : new Promise<void>((resolve, reject) => {
                  const x = new XMLHttpRequest();
                  x.open("PUT", "/sink");
                  x.onload = () => resolve();
                  x.onerror = () => reject(new Error("PUT failed"));
                  x.send(body as XMLHttpRequestBodyInit);
                });
          // the memory modes send 4 parts' bytes, read beforehand, over and over
          const held =
            from === "blob" || from === "xhr" || from === "fetch" ? await Promise.all([0, 1, 2, 3].map(async (n) => new Uint8Array(await file.slice(n * part, (n + 1) * part).arrayBuffer()))) : [];
          const t0 = performance.now();
          const running = new Set<Promise<void>>();
          for (let at = 0, n = 0; at < file.size; at += part, n++) {
            while (running.size >= 3) await Promise.race(running);
            const body = held.length
              ? from === "blob"
                ? new Blob([held[n % held.length]!])
                : held[n % held.length]!
              : from === "opfs"
                ? await (await root.getFileHandle(`part-${n}`)).getFile()
                : file.slice(at, at + part);
            const sent: Promise<void> = put(body).then(() => void running.delete(sent));
            running.add(sent);
          }
          await Promise.all(running);
          return performance.now() - t0;
        },
        { part: PART, from },
      );
      await new Promise((r) => setTimeout(r, 300));
      const after = browser.pid === undefined ? {} : cpuByKind(browser.pid);
      const r = (runs[MODES[from]] ??= { ms: [], cpu: [] });
      r.ms.push(ms);
      r.cpu.push(Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])));
    }
  }
  console.log(`Sending ${size / MiB} MiB in 8 MiB parts, 3 at a time, to a local sink (median of ${reps}; load ${os.loadavg()[0]?.toFixed(1)})`);
  for (const [from, r] of Object.entries(runs)) {
    const kinds = [...new Set(r.cpu.flatMap(Object.keys))]
      .map((k): [string, number] => [k, median(r.cpu.map((c) => c[k] ?? 0))])
      .filter(([, v]) => v >= 20)
      .sort((a, b) => b[1] - a[1]);
    const total = median(r.cpu.map((c) => Object.values(c).reduce((a, b) => a + b, 0)));
    console.log(`${from.padEnd(20)} ${median(r.ms).toFixed(0).padStart(6)} ms, browser CPU ${(total / 1000).toFixed(2)} s: ${kinds.map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`).join(", ")}`);
  }
} finally {
  await close();
}
