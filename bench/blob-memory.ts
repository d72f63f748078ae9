// Where a Blob upload's memory goes, outside the app: a page builds 8 MiB parts as Blobs from
// 256 KiB buffers (as the room does with ciphertext chunks) and PUTs them 3 at a time to a local
// sink that discards them; the peak RSS increase of each kind of Chromium process is sampled every
// 50 ms. "gc" runs Chromium with --expose-gc and collects the page's garbage after every part, to
// tell garbage waiting for the collector from memory that stays anyway.
//   node --import tsx bench/blob-memory.ts [parts, default 128]
// Settings (environment): PART_MIB (8), CHUNKS (32 buffers per part), JOINED=1 (copy each part's
// buffers into one before making its Blob), MODES ("as is,gc,as is,gc").
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutable } from "../e2e/support/chromium";
import { allowNamedFunctions } from "./lib/browser";
import { children, processKind, processTree } from "./lib/cpu";

const parts = Number(process.argv[2] ?? 128);
const partMiB = Number(process.env.PART_MIB ?? 8);
const MiB = 1024 * 1024;

function rss(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
function rssByKind(root: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of processTree(root)) out[processKind(p)] = (out[processKind(p)] ?? 0) + rss(p);
  return out;
}

const sink = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.end(req.method === "GET" ? "<!doctype html><title>sink</title>" : ""));
}).listen(0, "127.0.0.1");
await new Promise((r) => sink.once("listening", r));
const origin = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

for (const mode of (process.env.MODES ?? "as is,gc,as is,gc").split(",")) {
  const before = new Set(children(process.pid));
  const browser = await chromium.launch({ executablePath: chromiumExecutable(), args: [...CHROMIUM_ARGS, ...(mode === "gc" ? ["--js-flags=--expose-gc"] : [])] });
  const pid = children(process.pid).find((p) => !before.has(p));
  try {
    if (pid === undefined) throw new Error("Chromium's process was not found");
    const context = await browser.newContext();
    await allowNamedFunctions(context);
    const page = await context.newPage();
    await page.goto(origin);
    await page.waitForTimeout(500);
    const base = rssByKind(pid);
    const peak: Record<string, number> = {};
    const timer = setInterval(() => {
      for (const [kind, now] of Object.entries(rssByKind(pid))) peak[kind] = Math.max(peak[kind] ?? 0, now - (base[kind] ?? 0));
    }, 50);
    const ms = await page.evaluate(
      async ({ url, gc, parts, partMiB, chunkCount, joined }) => {
        const put = (body: Blob) =>
          new Promise<void>((resolve, reject) => {
            const xhr = new XMLHttpRequest();
            xhr.open("PUT", url);
            xhr.onload = () => resolve();
            xhr.onerror = () => reject(new Error("PUT failed"));
            xhr.send(body);
          });
        const collect = (globalThis as { gc?: () => void }).gc;
        const running = new Set<Promise<void>>();
        const t0 = performance.now();
        for (let part = 0; part < parts; part++) {
          let chunks: Uint8Array<ArrayBuffer>[] = [];
          for (let i = 0; i < chunkCount; i++) chunks.push(new Uint8Array((partMiB * 1024 * 1024) / chunkCount).fill(part + i + 1));
          if (joined) {
            const one = new Uint8Array(partMiB * 1024 * 1024);
            chunks.forEach((c, i) => one.set(c, i * c.length));
            chunks = [one];
          }
          while (running.size >= 3) await Promise.race(running);
          const sent: Promise<void> = put(new Blob(chunks)).then(() => {
            running.delete(sent);
            if (gc) collect?.();
          });
          running.add(sent);
        }
        await Promise.all(running);
        return performance.now() - t0;
      },
      { url: `${origin}/sink`, gc: mode === "gc", parts, partMiB, chunkCount: Number(process.env.CHUNKS ?? 32), joined: process.env.JOINED === "1" },
    );
    clearInterval(timer);
    const shown = Object.entries(peak)
      .filter(([, v]) => v > MiB)
      .map(([k, v]) => `${k} +${Math.round(v / MiB)}`)
      .join(", ");
    console.log(`${parts * partMiB} MiB, ${mode}: ${Math.round(ms)} ms; peak increase (MiB): ${shown}`);
  } finally {
    await browser.close();
  }
}
sink.close();
