// The file chunk size (PROTOCOL §5 allows 64 KiB–4 MiB), chosen by measurement: in Chromium, the
// throughput of what a sender does per chunk — AES-256-GCM encrypt, then SHA-256 of the
// ciphertext (for M) — over 64 MiB at each candidate size, best of two runs. The page is served
// from 127.0.0.1 (WebCrypto needs a secure context) by a throwaway server started here.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { launchChromium } from "./lib/browser";

export const CHUNK_CANDIDATES = [64, 256, 1024, 2048, 4096].map((k) => k * 1024);

export type ChunkSizeResult = { mibPerSecond: Record<string, number> };

export async function fileChunkSize(): Promise<ChunkSizeResult> {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end("<!doctype html><title>chunk size</title>");
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const mibPerSecond = await page.evaluate(async (sizes) => {
      const out: Record<string, number> = {};
      const key = await crypto.subtle.importKey("raw", new Uint8Array(32), "AES-GCM", false, ["encrypt"]);
      const total = 64 * 1024 * 1024;
      for (const size of sizes) {
        const plain = new Uint8Array(size);
        let best = 0;
        for (let rep = 0; rep < 2; rep++) {
          const t0 = performance.now();
          for (let done = 0; done < total; done += size) {
            const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12), additionalData: new Uint8Array(60) }, key, plain);
            await crypto.subtle.digest("SHA-256", ct);
          }
          best = Math.max(best, total / 1048576 / ((performance.now() - t0) / 1000));
        }
        out[`${size / 1024} KiB`] = Math.round(best);
      }
      return out;
    }, CHUNK_CANDIDATES);
    return { mibPerSecond };
  } finally {
    await browser.close();
    server.close();
  }
}
