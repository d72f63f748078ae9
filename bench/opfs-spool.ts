// Would file-backed parts make a sender's memory flat? 8 MiB parts (32 buffers of 256 KiB each,
// as the room's ciphertext chunks) PUT 3 at a time to a local sink, either as Blobs made from the
// buffers ("blob", what the room does) or written to a file in the origin-private file system
// with createWritable() and sent as that file ("opfs"; the file is removed once sent), or written
// by a dedicated worker through a sync access handle ("opfs-sync", as the room would). Time and
// peak RSS increase by kind of Chromium process. A persistent profile (a temporary directory), as
// incognito contexts keep OPFS in memory.
//   node --import tsx bench/opfs-spool.ts [parts, default 128]   MODES="blob,opfs,opfs-sync,blob,opfs,opfs-sync"
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutable } from "../e2e/support/chromium";
import { children, processKind, processTree } from "./lib/cpu";

const parts = Number(process.argv[2] ?? 128);
const MiB = 1024 * 1024;
const rss = (pid: number) => {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};
const byKind = (root: number) => {
  const o: Record<string, number> = {};
  for (const p of processTree(root)) o[processKind(p)] = (o[processKind(p)] ?? 0) + rss(p);
  return o;
};
const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.end(req.method === "GET" ? "<!doctype html><title>sink</title>" : ""));
}).listen(0, "127.0.0.1");
await new Promise((r) => sink.once("listening", r));
const origin = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
for (const mode of (process.env.MODES ?? "blob,opfs,opfs-sync,blob,opfs,opfs-sync").split(",")) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "spool-"));
  const before = new Set(children(process.pid));
  const context = await chromium.launchPersistentContext(dir, { executablePath: chromiumExecutable(), args: CHROMIUM_ARGS });
  const pid = children(process.pid).find((p) => !before.has(p)) as number;
  await context.addInitScript(() => {
    (globalThis as { __name?: unknown }).__name = (f: unknown) => f;
  });
  const page = await context.newPage();
  await page.goto(origin);
  await page.waitForTimeout(500);
  const base = byKind(pid);
  const peak: Record<string, number> = {};
  const timer = setInterval(() => {
    for (const [k, v] of Object.entries(byKind(pid))) peak[k] = Math.max(peak[k] ?? 0, v - (base[k] ?? 0));
  }, 50);
  const ms = await page.evaluate(
    async ({ url, parts, opfs, sync }) => {
      const put = (body: Blob) =>
        new Promise<void>((resolve, reject) => {
          const x = new XMLHttpRequest();
          x.open("PUT", url);
          x.onload = () => resolve();
          x.onerror = () => reject(new Error("PUT"));
          x.send(body);
        });
      if (sync) {
        // The worker makes each part's 32 buffers, writes them through a sync access handle, closes
        // it and hands the file over; the page PUTs it and removes it.
        const src = `onmessage = async (e) => {
        const part = e.data;
        const root = await navigator.storage.getDirectory();
        const fh = await root.getFileHandle("spool-" + part, { create: true });
        const h = await fh.createSyncAccessHandle();
        let at = 0;
        for (let i = 0; i < 32; i++) { const c = new Uint8Array(256 * 1024).fill(part + i + 1); h.write(c, { at }); at += c.length; }
        h.close();
        postMessage({ part, file: await fh.getFile() });
      };`;
        const worker = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
        const root = await navigator.storage.getDirectory();
        const ready = new Map<number, (f: File) => void>();
        worker.onmessage = (e: MessageEvent<{ part: number; file: File }>) => ready.get(e.data.part)?.(e.data.file);
        const spool = (part: number) =>
          new Promise<File>((r) => {
            ready.set(part, r);
            worker.postMessage(part);
          });
        const running = new Set<Promise<void>>();
        const t0 = performance.now();
        // one part spooled ahead while 3 are sent
        let next = spool(0);
        for (let part = 0; part < parts; part++) {
          const file = await next;
          if (part + 1 < parts) next = spool(part + 1);
          while (running.size >= 3) await Promise.race(running);
          const sent: Promise<void> = put(file)
            .then(() => root.removeEntry(`spool-${part}`))
            .then(() => {
              running.delete(sent);
            });
          running.add(sent);
        }
        await Promise.all(running);
        worker.terminate();
        return performance.now() - t0;
      }
      const root = await navigator.storage.getDirectory();
      const running = new Set<Promise<void>>();
      const t0 = performance.now();
      for (let part = 0; part < parts; part++) {
        const chunks: Uint8Array<ArrayBuffer>[] = [];
        for (let i = 0; i < 32; i++) chunks.push(new Uint8Array(256 * 1024).fill(part + i + 1));
        while (running.size >= 3) await Promise.race(running);
        let body: Blob;
        let done = (): Promise<void> => Promise.resolve();
        if (opfs) {
          const name = `spool-${part}`;
          const fh = await root.getFileHandle(name, { create: true });
          const w = await fh.createWritable();
          for (const c of chunks) await w.write(c);
          await w.close();
          body = await fh.getFile();
          done = () => root.removeEntry(name);
        } else body = new Blob(chunks);
        const sent: Promise<void> = put(body)
          .then(done)
          .then(() => {
            running.delete(sent);
          });
        running.add(sent);
      }
      await Promise.all(running);
      return performance.now() - t0;
    },
    { url: `${origin}/sink`, parts, opfs: mode === "opfs", sync: mode === "opfs-sync" },
  );
  clearInterval(timer);
  console.log(
    `${parts * 8} MiB, ${mode}: ${Math.round(ms)} ms; peak (MiB): ${Object.entries(peak)
      .filter(([, v]) => v > MiB)
      .map(([k, v]) => `${k} +${Math.round(v / MiB)}`)
      .join(", ")}`,
  );
  await context.close();
  rmSync(dir, { recursive: true, force: true });
}
sink.close();
