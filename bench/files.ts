// Documents (PROTOCOL §5) in real browsers, against the same store in the same run:
//  - encrypt-and-upload: the patient chooses a file in the room (`file-input`); timed in the page
//    from the input's change event to the end of the server's answer to POST …/complete (Resource
//    Timing), i.e. read, encrypt, PUT every part, join. Against it, a plain upload of the same file
//    from the same page: POST …/files, presigned part URLs, raw bytes PUT with XMLHttpRequest,
//    PARALLEL_PARTS at a time, in parts of the size the app just used, POST …/complete.
//  - download-and-decrypt: the doctor clicks `file-download` (decrypted into the download service
//    worker and written to disk), timed until Playwright's download has finished. Against it, a
//    plain GET of the same ciphertext through a presigned URL from the same API, read to the end.
//  - CPU: what each upload cost the sending browser's process tree and the app server (and, on
//    the filesystem store, the store, which is the server), from /proc. With both browsers, the
//    server and the store on one small machine, the uploads are CPU-bound, and the CPU ratio is
//    what bounds the throughput ratio.
//  - memory: the summed RSS of the sending (and the receiving) browser's process tree, and the
//    page's JS heap, sampled every 50 ms during each transfer, against a baseline taken just before.
// The doctor and the patient each have their own Chromium, so each tree holds one side only. Both
// cameras are turned off: on 2 cores, VP8 would compete with the transfers for the CPU.
// Every document is deleted after its run (RGW keeps objects in RAM).
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { link, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, CDPSession, Page } from "@playwright/test";
import { URL_BATCH } from "../lib/client/files/part-urls";
import { PARALLEL_PARTS } from "../lib/client/files/upload";
import { allowNamedFunctions, launchWithProfile, verifiedConsult, type LaunchedContext } from "./lib/browser";
import { loadAverage, machineTicks, processTree, threadCpuDelta, treeCpuMs, treeMinorFaults, treeThreadCpuMs } from "./lib/cpu";
import { watchMemory, type MemoryPeak } from "./lib/memory";
import { startRgw } from "./lib/rgw";
import { startServer } from "./lib/server";
import { percentile } from "./lib/stats";

declare global {
  interface Window {
    __benchChosenAt?: number;
    __benchCompleted?: Record<string, number>;
  }
}

const MiB = 1024 * 1024;
const TIMEOUT = Number(process.env.BENCH_FILES_TIMEOUT_MS ?? 300_000);
const WARM_UP_MIB = 1;

export type FilesOptions = {
  sizesMiB: number[];
  reps: number;
  /** a large file sent and fetched once through the room only, for memory (and its MB/s) */
  largeMiB?: number;
  /** the sending page is denied the origin-private file system, so it seals in memory (spool.ts's fallback) */
  sealInMemory?: boolean;
  /**
   * While a browser sends (or receives), it alone has the upper half of the machine's CPUs and
   * everything else (the bench, the app server, the store, the other browser) the lower half: a
   * person's browser does not share its CPU with the server and the store, as across a network.
   */
  splitCpus?: boolean;
};
type BenchOptions = FilesOptions & { bypassCSP?: boolean; afterDelete?: () => void; /** CPU ms used so far by the app server */ serverCpuMs?: () => number };

/** CPU ms of one upload: the sending browser's process tree and the app server. */
export type UploadCpu = {
  sender: number;
  server: number;
  /** share of the machine's CPU time that was busy */ busy?: number;
  /** the sending browser's minor page faults (first touches of fresh memory pages) */ faults?: number;
  /** the sending browser's busiest threads, "process kind/thread": ms */ threads?: [string, number][];
};

/** Throughput of one path: every run's MB/s (10^6 bytes) and their median. */
export type Rate = { runs: number[]; median: number };
export type Memory = { baseline: number; peak: number; increase: number; heapIncrease?: number; /** at the peak, by kind of process */ byKind?: Record<string, number> };
export type SizeResult = {
  mib: number;
  upload: { app: Rate; plain: Rate; ratio: number };
  download: { app: Rate; plain: Rate; ratio: number };
  /** the largest increase over the runs, in bytes, while sending (app and plain paths) and receiving (app path) */
  memory: { sending: Memory; sendingPlain: Memory; receiving: Memory };
  /** median CPU ms per upload */
  cpu: { app: UploadCpu; plain: UploadCpu };
};
export type FilesResult = {
  store: string;
  cspBypassed: boolean;
  partSize: number;
  parallelParts: number;
  sizes: SizeResult[];
  /** the large file (FilesOptions.largeMiB): app MB/s both ways and memory */
  large?: { mib: number; upload: number; download: number; sending: Memory; receiving: Memory };
  load: [number, number];
  /** the sending browser at rest in the room (call up, cameras off) for 3 s: share of one core, busiest threads */
  atRest?: { cores: number; threads: [string, number][] };
};

type Side = { page: Page; pid: number | undefined; cdp: CDPSession; serverCpuMs: () => number };

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const rate = (runs: number[]): Rate => ({
  runs: runs.map((r) => Math.round(r * 10) / 10),
  median:
    Math.round(
      percentile(
        [...runs].sort((a, b) => a - b),
        50,
      ) * 10,
    ) / 10,
});
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const ratio = (a: Rate, b: Rate) => Math.round((a.median / b.median) * 100) / 100;

/** The run with the largest increase (peak − baseline). */
function worst(peaks: MemoryPeak[]): Memory {
  const inc = (m: MemoryPeak) => m.rssPeak - m.rssBaseline;
  const w = peaks.reduce((a, b) => (inc(b) > inc(a) ? b : a));
  const heap = peaks.map((m) => (m.heapPeak ?? NaN) - (m.heapBaseline ?? NaN)).filter((h) => !Number.isNaN(h));
  return { baseline: w.rssBaseline, peak: w.rssPeak, increase: inc(w), heapIncrease: heap.length ? Math.max(...heap) : undefined, byKind: w.peakIncreaseByKind };
}

/** A file of `mib` MiB of random bytes, written a block at a time, and its SHA-256. */
async function randomFile(dir: string, mib: number): Promise<{ file: string; sha256: string }> {
  const file = path.join(dir, `source-${mib}`);
  const h = createHash("sha256");
  const out = await open(file, "w");
  try {
    for (let left = mib * MiB; left > 0; left -= 16 * MiB) {
      const block = randomBytes(Math.min(left, 16 * MiB));
      h.update(block);
      await out.write(block);
    }
  } finally {
    await out.close();
  }
  return { file, sha256: h.digest("hex") };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => h.update(d))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

/** The sending page notes when a file is chosen and when each upload's completion was answered. */
async function instrument(context: BrowserContext): Promise<void> {
  await allowNamedFunctions(context);
  await context.addInitScript(() => {
    const w = window;
    const completed: Record<string, number> = {};
    w.__benchCompleted = completed;
    document.addEventListener(
      "change",
      (e) => {
        if (e.target instanceof HTMLInputElement && e.target.dataset.testid === "file-input") w.__benchChosenAt = performance.timeOrigin + performance.now();
      },
      true,
    );
    performance.setResourceTimingBufferSize(100_000);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as PerformanceResourceTiming[]) {
        const m = /\/files\/([0-9a-f-]{36})\/complete$/.exec(e.name);
        if (m?.[1]) completed[m[1]] = performance.timeOrigin + e.responseEnd;
      }
    }).observe({ type: "resource" });
  });
}

async function side(l: LaunchedContext, serverCpuMs: () => number): Promise<Side> {
  const context = l.context;
  await instrument(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => console.error(`[page error] ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.error(`[page ${m.type()}] ${m.text()}`);
  });
  return { page, pid: l.pid, cdp: await context.newCDPSession(page), serverCpuMs };
}

/**
 * With BENCH_PAGE_PROF=<dir>, samples the page's main thread (CDP Profiler) until the returned
 * function is called, which writes <dir>/<name>.cpuprofile (read by bench/lib/profile-top.mjs).
 */
async function pageProfile(s: Side): Promise<(name: string) => Promise<void>> {
  const dir = process.env.BENCH_PAGE_PROF;
  if (!dir) return () => Promise.resolve();
  await s.cdp.send("Profiler.enable");
  await s.cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await s.cdp.send("Profiler.start");
  return async (name) => {
    const { profile } = await s.cdp.send("Profiler.stop");
    await writeFile(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  };
}

const memoryOf = (s: Side) => (s.pid === undefined ? undefined : watchMemory(s.pid, s.cdp));
/** Starts counting CPU for one upload; the returned function gives what it used. */
function cpuFrom(s: Side): () => UploadCpu {
  const sender = s.pid === undefined ? NaN : treeCpuMs(s.pid);
  const threads = s.pid === undefined ? new Map<string, number>() : treeThreadCpuMs(s.pid);
  const server = s.serverCpuMs();
  const ticks = machineTicks();
  const faults = s.pid === undefined ? NaN : treeMinorFaults(s.pid);
  return () => ({
    faults: s.pid === undefined ? NaN : treeMinorFaults(s.pid) - faults,
    busy: ((t) => 1 - (t.idle - ticks.idle) / (t.total - ticks.total))(machineTicks()),
    sender: s.pid === undefined ? NaN : treeCpuMs(s.pid) - sender,
    server: s.serverCpuMs() - server,
    threads: s.pid === undefined ? [] : threadCpuDelta(threads, treeThreadCpuMs(s.pid), Number(process.env.BENCH_THREADS ?? 8)),
  });
}
/**
 * What the sending browser costs with nothing to send, the room open (the call's audio, the
 * cameras' black frames, page timers): costs by the second, which a slower upload pays longer.
 */
async function restingCpu(s: Side, ms = 3000): Promise<FilesResult["atRest"]> {
  if (s.pid === undefined) return undefined;
  const cpu = cpuFrom(s);
  await new Promise((r) => setTimeout(r, ms));
  const used = cpu();
  return { cores: used.sender / ms, threads: used.threads ?? [] };
}
const noMemory: MemoryPeak = { rssBaseline: NaN, rssPeak: NaN, samples: 0 };

const fileItem = (page: Page, name: string) => page.getByTestId("file-item").filter({ hasText: name });

/** The room's path: choose the file, encrypt and upload; returns when both sides list it as ready. */
async function appUpload(patient: Side, doctor: Side, file: string) {
  const { page } = patient;
  const created = page.waitForRequest((r) => r.method() === "POST" && /\/api\/consults\/[^/]+\/files$/.test(new URL(r.url()).pathname), { timeout: TIMEOUT });
  const watch = await memoryOf(patient);
  const cpu = cpuFrom(patient);
  const profile = await pageProfile(patient);
  await page.getByTestId("file-input").setInputFiles(file);
  const { fileId, partSize } = (await created).postDataJSON() as { fileId: string; partSize: number };
  const name = path.basename(file);
  // A failed upload shows so in the room; say what it said rather than wait for the timeout.
  const failed = fileItem(page, name)
    .and(page.locator('[data-state="failed"]'))
    .waitFor({ timeout: TIMEOUT })
    .then(async () => {
      throw new Error(`the room's upload of ${name} failed: ${await fileItem(page, name).innerText()}`);
    });
  failed.catch(() => undefined);
  const took = await Promise.race([
    page.waitForFunction(
      (id) => {
        const end = window.__benchCompleted?.[id];
        return end && window.__benchChosenAt ? end - window.__benchChosenAt : undefined;
      },
      fileId,
      { timeout: TIMEOUT, polling: 50 },
    ),
    failed,
  ]).catch(async (err: unknown) => {
    const state = await fileItem(page, name)
      .innerText({ timeout: 1000 })
      .catch(() => "(no file item)");
    if (process.env.BENCH_BLOB_INTERNALS) {
      const p2 = await page.context().newPage();
      await p2.goto("chrome://blob-internals").catch(() => undefined);
      console.error(
        (
          await p2
            .locator("body")
            .innerText()
            .catch(() => "")
        ).slice(0, 6000),
      );
    }
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nthe file's item in the room: ${state}`);
  });
  const ms = (await took.jsonValue()) as number;
  const used = cpu();
  await profile(`upload-${path.basename(file)}`);
  // BENCH_TIMELINE=1: each request of the upload, from when the file was chosen (ms)
  if (process.env.BENCH_TIMELINE) {
    const t = await page.evaluate(() => {
      const start = window.__benchChosenAt ?? 0;
      return (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
        .filter((e) => performance.timeOrigin + e.startTime >= start - 1)
        .map((e) => `${Math.round(performance.timeOrigin + e.startTime - start)}→${Math.round(performance.timeOrigin + e.responseEnd - start)} ${new URL(e.name).pathname.slice(-40)}`);
    });
    console.log(t.join("\n"));
  }
  const memory = (await watch?.stop()) ?? noMemory;
  for (const s of [patient, doctor]) await fileItem(s.page, name).and(s.page.locator('[data-state="ready"]')).waitFor({ timeout: TIMEOUT });
  return { ms, fileId, partSize, memory, cpu: used };
}

/** The same bytes, unencrypted, the same way: same API, part size, parallelism and XMLHttpRequest PUTs. */
async function plainUpload(patient: Side, consultId: string, file: string, partSize: number) {
  const { page } = patient;
  await page.evaluate(() => {
    if (document.getElementById("bench-plain-file")) return;
    const input = document.createElement("input");
    input.type = "file";
    input.id = "bench-plain-file";
    input.hidden = true;
    document.body.append(input);
  });
  await page.locator("#bench-plain-file").setInputFiles(file);
  const watch = await memoryOf(patient);
  const cpu = cpuFrom(patient);
  const r = await page.evaluate(
    async ({ consultId, partSize, parallel, urlBatch }) => {
      const input = document.getElementById("bench-plain-file") as HTMLInputElement;
      const chosen = input.files?.[0];
      if (!chosen) throw new Error("no file chosen");
      const file: File = chosen;
      const t0 = performance.now();
      const base = `/api/consults/${consultId}/files`;
      async function post<T>(url: string, body: unknown): Promise<T> {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      }
      function put(url: string, body: Blob): Promise<string> {
        return new Promise((resolve, reject) => {
          const xhr = new XMLHttpRequest();
          xhr.open("PUT", url);
          xhr.upload.onprogress = () => undefined; // as the app does (it shows progress)
          xhr.onload = () => (xhr.status < 300 ? resolve(xhr.getResponseHeader("etag") ?? "") : reject(new Error(`PUT: ${xhr.status}`)));
          xhr.onerror = () => reject(new Error("PUT failed"));
          xhr.send(body);
        });
      }
      const fileId = crypto.randomUUID();
      await post(base, { fileId, size: file.size, partSize });
      const partCount = Math.ceil(file.size / partSize);
      // Part URLs the way lib/client/files/part-urls.ts asks for them: one request per batch,
      // shared by parts sent at once, the next batch asked for half a batch ahead.
      const urls = new Map<number, Promise<string>>();
      function urlFor(part: number): Promise<string> {
        const wanted: number[] = [];
        for (let n = part; n < part + urlBatch && n <= partCount; n++) if (!urls.has(n)) wanted.push(n);
        if (wanted[0] === part || wanted.length >= urlBatch / 2) {
          const answer = post<{ urls: { partNumber: number; url: string }[] }>(`${base}/${fileId}/parts`, { parts: wanted });
          for (const n of wanted)
            urls.set(
              n,
              answer.then((a) => a.urls.find((u) => u.partNumber === n)?.url ?? ""),
            );
        }
        return urls.get(part) ?? Promise.resolve("");
      }
      const done: { partNumber: number; etag: string }[] = [];
      let next = 1;
      async function worker(): Promise<void> {
        for (let part = next++; part <= partCount; part = next++) {
          const body = file.slice((part - 1) * partSize, Math.min(file.size, part * partSize));
          done.push({ partNumber: part, etag: await put(await urlFor(part), body) });
        }
      }
      await Promise.all(Array.from({ length: parallel }, () => worker()));
      await post(`${base}/${fileId}/complete`, { parts: done });
      return { ms: performance.now() - t0, fileId };
    },
    { consultId, partSize, parallel: PARALLEL_PARTS, urlBatch: URL_BATCH },
  );
  const used = cpu();
  return { ...r, memory: (await watch?.stop()) ?? noMemory, cpu: used };
}

/** The room's path: Download → decrypted into the service worker → written to disk by the browser. */
async function appDownload(doctor: Side, name: string, sha256: string) {
  const button = fileItem(doctor.page, name).getByTestId("file-download");
  await button.waitFor({ timeout: TIMEOUT });
  const watch = await memoryOf(doctor);
  const t0 = performance.now();
  const [download] = await Promise.all([doctor.page.waitForEvent("download", { timeout: TIMEOUT }), button.evaluate((b: HTMLButtonElement) => b.click())]);
  const saved = await download.path();
  const ms = performance.now() - t0;
  const memory = (await watch?.stop()) ?? noMemory;
  if ((await sha256File(saved)) !== sha256) throw new Error(`the downloaded ${name} differs from the file sent`);
  await download.delete();
  return { ms, memory };
}

/** The same ciphertext object through a presigned GET from the same API, read to its end in the page. */
async function plainDownload(doctor: Side, consultId: string, fileId: string) {
  return doctor.page.evaluate(
    async ({ consultId, fileId }) => {
      const t0 = performance.now();
      const link = (await (await fetch(`/api/consults/${consultId}/files/${fileId}`)).json()) as { url: string };
      const res = await fetch(link.url, { cache: "no-store" });
      if (!res.ok || !res.body) throw new Error(`GET: ${res.status}`);
      const reader = res.body.getReader();
      let bytes = 0;
      for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
      return { ms: performance.now() - t0, bytes };
    },
    { consultId, fileId },
  );
}

async function remove(patient: Side, consultId: string, fileIds: string[]): Promise<void> {
  await patient.page.evaluate(
    async ({ consultId, fileIds }) => {
      for (const id of fileIds) {
        const res = await fetch(`/api/consults/${consultId}/files/${id}`, { method: "DELETE" });
        if (!res.ok) throw new Error(`DELETE ${id}: ${res.status}`);
      }
    },
    { consultId, fileIds },
  );
}

/**
 * Moves every thread of this process's tree (the bench, the servers it started, both browsers)
 * to the lower half of the CPUs, then the tree of the browser at `pid` to the upper half (on 2
 * CPUs: one each). Processes started later inherit their parent's CPUs (renderers fork from
 * that browser's zygote).
 */
function splitCpus(pid: number | undefined): void {
  const cpus = os.cpus().length; // not availableParallelism(): once split, this process is pinned itself
  if (pid === undefined || cpus < 2) throw new Error("splitting the CPUs needs 2 of them and the browser's pid");
  const half = Math.floor(cpus / 2);
  pinTree(process.pid, `0-${cpus - half - 1}`);
  pinTree(pid, `${cpus - half}-${cpus - 1}`);
}

/** Every thread of the tree at `pid` to the CPUs in `list` (taskset's syntax, e.g. "0-1"). */
function pinTree(pid: number, list: string): void {
  for (const p of processTree(pid)) execFileSync("taskset", ["-a", "-p", "-c", list, String(p)], { stdio: "ignore" });
}

/**
 * Measures one server (its store as configured). `bypassCSP` when the app's CSP does not allow
 * the store's origin yet; `afterDelete` frees the store's space between runs.
 */
export async function filesBench(baseURL: string, store: string, o: BenchOptions): Promise<FilesResult> {
  const load0 = loadAverage();
  const dir = await mkdtemp(path.join(os.tmpdir(), "parley-bench-files-"));
  const launch = () => launchWithProfile({ baseURL, bypassCSP: !!o.bypassCSP, permissions: ["camera", "microphone"] });
  const browsers = [await launch(), await launch()] as const;
  try {
    const [doctor, patient] = await Promise.all(browsers.map((b) => side(b, o.serverCpuMs ?? (() => NaN))));
    if (!doctor || !patient) throw new Error("no browser");
    const consultId = await verifiedConsult(doctor.page, patient.page, "Bench Files Patient");
    /** the browser about to send or receive on its own CPU (with splitCpus) */
    const ownCpu = (s: Side) => o.splitCpus && splitCpus(s.pid);
    if (o.sealInMemory) await patient.page.evaluate(() => Object.defineProperty(StorageManager.prototype, "getDirectory", { value: undefined, configurable: true }));
    await patient.page.locator('[data-testid="file-input"]:enabled').waitFor({ timeout: 30_000 });
    for (const s of [doctor, patient]) await s.page.getByTestId("toggle-camera").click();

    // One file of random bytes per size, linked under a new name for each upload (the room lists
    // documents by name).
    const sources = new Map<number, { file: string; sha256: string }>();
    for (const mib of new Set([WARM_UP_MIB, ...o.sizesMiB, ...(o.largeMiB ? [o.largeMiB] : [])])) sources.set(mib, await randomFile(dir, mib));
    let uploads = 0;
    let partSize = 0;

    /**
     * Both uploads of one file (alternating which goes first), both downloads, then both deleted;
     * `appOnly`: the room's upload and download only.
     */
    async function roundTrip(mib: number, rep: number, appOnly = false) {
      const src = sources.get(mib);
      if (!src || !doctor || !patient) throw new Error(`no ${mib} MiB file`);
      const file = path.join(dir, `bench-${mib}MiB-${++uploads}-${randomBytes(3).toString("hex")}.bin`);
      await link(src.file, file);
      let app: Awaited<ReturnType<typeof appUpload>>;
      let plain: Awaited<ReturnType<typeof plainUpload>> | undefined;
      ownCpu(patient);
      // The plain upload takes the app's part size, known once the app has uploaded anything.
      if (appOnly) {
        app = await appUpload(patient, doctor, file);
      } else if (rep % 2 === 0 || partSize === 0) {
        app = await appUpload(patient, doctor, file);
        plain = await plainUpload(patient, consultId, file, app.partSize);
      } else {
        plain = await plainUpload(patient, consultId, file, partSize);
        app = await appUpload(patient, doctor, file);
      }
      partSize = app.partSize;
      ownCpu(doctor);
      const appDown = await appDownload(doctor, path.basename(file), src.sha256);
      const plainDown = appOnly ? undefined : await plainDownload(doctor, consultId, app.fileId);
      await remove(patient, consultId, plain ? [app.fileId, plain.fileId] : [app.fileId]);
      await rm(file);
      o.afterDelete?.();
      const bytes = mib * MiB;
      return {
        up: { app: mbps(bytes, app.ms), plain: plain ? mbps(bytes, plain.ms) : NaN },
        down: { app: mbps(bytes, appDown.ms), plain: plainDown ? mbps(plainDown.bytes, plainDown.ms) : NaN },
        memory: { sending: app.memory, sendingPlain: plain?.memory ?? noMemory, receiving: appDown.memory },
        cpu: { app: app.cpu, plain: plain?.cpu ?? { sender: NaN, server: NaN } },
      };
    }

    // A warm-up round, not counted: registers the download worker, warms the JITs and the server.
    await roundTrip(WARM_UP_MIB, 0);
    ownCpu(patient);
    const atRest = await restingCpu(patient);
    const sizes: SizeResult[] = [];
    for (const mib of o.sizesMiB) {
      const runs = [];
      for (let rep = 0; rep < o.reps; rep++) runs.push(await roundTrip(mib, rep));
      const upload = { app: rate(runs.map((r) => r.up.app)), plain: rate(runs.map((r) => r.up.plain)) };
      const download = { app: rate(runs.map((r) => r.down.app)), plain: rate(runs.map((r) => r.down.plain)) };
      sizes.push({
        mib,
        upload: { ...upload, ratio: ratio(upload.app, upload.plain) },
        download: { ...download, ratio: ratio(download.app, download.plain) },
        memory: {
          sending: worst(runs.map((r) => r.memory.sending)),
          sendingPlain: worst(runs.map((r) => r.memory.sendingPlain)),
          receiving: worst(runs.map((r) => r.memory.receiving)),
        },
        cpu: {
          app: {
            sender: median(runs.map((r) => r.cpu.app.sender)),
            server: median(runs.map((r) => r.cpu.app.server)),
            threads: runs.at(-1)?.cpu.app.threads,
            busy: median(runs.map((r) => r.cpu.app.busy ?? NaN)),
            faults: median(runs.map((r) => r.cpu.app.faults ?? NaN)),
          },
          plain: {
            sender: median(runs.map((r) => r.cpu.plain.sender)),
            server: median(runs.map((r) => r.cpu.plain.server)),
            threads: runs.at(-1)?.cpu.plain.threads,
            busy: median(runs.map((r) => r.cpu.plain.busy ?? NaN)),
            faults: median(runs.map((r) => r.cpu.plain.faults ?? NaN)),
          },
        },
      });
    }
    let large: FilesResult["large"];
    if (o.largeMiB) {
      const r = await roundTrip(o.largeMiB, 0, true);
      large = { mib: o.largeMiB, upload: Math.round(r.up.app * 10) / 10, download: Math.round(r.down.app * 10) / 10, sending: worst([r.memory.sending]), receiving: worst([r.memory.receiving]) };
    }
    await doctor.page.getByTestId("end-consult").click();
    return { store, cspBypassed: !!o.bypassCSP, partSize, parallelParts: PARALLEL_PARTS, sizes, large, atRest, load: [load0, loadAverage()] };
  } finally {
    for (const b of browsers) await b.close();
    await rm(dir, { recursive: true, force: true });
    // The parts measured after this one (and the next store's server) get every CPU again.
    if (o.splitCpus) pinTree(process.pid, `0-${os.cpus().length - 1}`);
  }
}

/** Whether the app's pages may connect to `origin` (their CSP's connect-src names it). */
export async function cspAllowsConnect(baseURL: string, origin: string): Promise<boolean> {
  const csp = (await fetch(`${baseURL}/sign-in`)).headers.get("content-security-policy") ?? "";
  const connect = /(?:^|;)\s*connect-src([^;]*)/.exec(csp)?.[1]?.trim().split(/\s+/) ?? [];
  return csp === "" || connect.includes(origin) || connect.includes("*");
}

/**
 * The files part of `npm run bench`: the app on the embedded database, its documents on the
 * filesystem store, then (another server) on S3 — a throwaway Ceph RGW, when Ceph is installed,
 * without the large file.
 */
export async function filesOnStores(o: FilesOptions, stores: ("filesystem" | "s3")[]): Promise<FilesResult[]> {
  const out: FilesResult[] = [];
  if (stores.includes("filesystem")) {
    const server = await startServer(3203, { DATABASE_URL: "" });
    try {
      console.log(`… documents, filesystem store: server up in ${(server.startMs / 1000).toFixed(1)} s; measuring`);
      out.push(await filesBench(server.baseURL, "filesystem store", { ...o, serverCpuMs: () => server.cpuMs() }));
    } finally {
      await server.stop();
    }
  }
  if (!stores.includes("s3")) return out;
  const port = 3204;
  const rgw = await startRgw(57580, [`http://127.0.0.1:${port}`]);
  if (!rgw) return out;
  try {
    const server = await startServer(port, { DATABASE_URL: "", ...rgw.env });
    try {
      const bypassCSP = !(await cspAllowsConnect(server.baseURL, rgw.origin));
      console.log(`… documents, S3 (Ceph RGW): server up in ${(server.startMs / 1000).toFixed(1)} s; measuring`);
      if (bypassCSP) console.log(`  (the app's CSP connect-src does not name ${rgw.origin}, so the browser could not reach the store: these pages run with Playwright's bypassCSP)`);
      // No large file: RGW's memstore keeps every object in RAM.
      out.push(await filesBench(server.baseURL, "S3 (Ceph RGW)", { ...o, largeMiB: undefined, bypassCSP, afterDelete: () => rgw.collectGarbage(), serverCpuMs: () => server.cpuMs() }));
    } finally {
      await server.stop();
    }
  } finally {
    rgw.stop();
  }
  return out;
}
