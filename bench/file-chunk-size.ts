// The file chunk size (PROTOCOL §5 allows 64 KiB–4 MiB), chosen by measurement: in Chromium, the
// throughput of what a sender does per chunk — AES-256-GCM encrypt, then SHA-256 of the
// ciphertext (for M) — over 64 MiB at each candidate size, best of two runs. The page is served
// from 127.0.0.1 (WebCrypto needs a secure context): lib/bench-page.ts.
import { benchPage } from "./lib/bench-page";

export const CHUNK_CANDIDATES = [64, 128, 256, 512, 1024, 2048, 4096].map((k) => k * 1024);

/**
 * What a sender's bytes cost in the page besides the crypto (ms per 256 MiB, best of two): a copy
 * into one reused buffer against a copy into a fresh one each time (the first touch of new pages);
 * reading a Blob with the default reader (a fresh buffer per read) against a BYOB reader into one
 * buffer; and the share of a WebCrypto call spent on the calling thread (it copies its input there).
 */
export type MemoryTouchResult = {
  copyWarm: number;
  copyFresh: number;
  readDefault: number;
  readByob: number;
  /** 256 KiB chunks: the time encrypt() and digest() took to return, and the whole loop */
  cryptoCalls: { encryptSync: number; digestSync: number; total: number };
};

export type ChunkSizeResult = { mibPerSecond: Record<string, number>; touch?: MemoryTouchResult };

export async function fileChunkSize(): Promise<ChunkSizeResult> {
  const { page, close } = await benchPage("chunk size");
  try {
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
    const touch = await page.evaluate(async (): Promise<MemoryTouchResult> => {
      const total = 256 * 1024 * 1024;
      const size = 256 * 1024;
      const best = async (f: () => unknown) => {
        let ms = Infinity;
        for (let rep = 0; rep < 2; rep++) {
          const t0 = performance.now();
          await f();
          ms = Math.min(ms, performance.now() - t0);
        }
        return Math.round(ms);
      };
      const src = new Uint8Array(size).fill(7);
      const warm = new Uint8Array(size);
      const copyWarm = await best(() => {
        for (let done = 0; done < total; done += size) warm.set(src);
      });
      const copyFresh = await best(() => {
        for (let done = 0; done < total; done += size) new Uint8Array(size).set(src);
      });
      const blob = new Blob([new Uint8Array(total)]);
      const readDefault = await best(async () => {
        const reader = blob.stream().getReader();
        while (!(await reader.read()).done);
      });
      const readByob = await best(async () => {
        const reader = blob.stream().getReader({ mode: "byob" });
        let buf = new Uint8Array(size);
        for (;;) {
          const { done, value } = await reader.read(buf);
          if (done || !value) break;
          buf = new Uint8Array(value.buffer);
        }
      });
      const key = await crypto.subtle.importKey("raw", new Uint8Array(32), "AES-GCM", false, ["encrypt"]);
      const cryptoCalls = { encryptSync: Infinity, digestSync: Infinity, total: Infinity };
      for (let rep = 0; rep < 2; rep++) {
        let encryptSync = 0;
        let digestSync = 0;
        const t0 = performance.now();
        for (let done = 0; done < total; done += size) {
          let t = performance.now();
          const sealing = crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, key, src);
          encryptSync += performance.now() - t;
          const ct = await sealing;
          t = performance.now();
          const hashing = crypto.subtle.digest("SHA-256", ct);
          digestSync += performance.now() - t;
          await hashing;
        }
        const took = performance.now() - t0;
        if (took < cryptoCalls.total) Object.assign(cryptoCalls, { encryptSync: Math.round(encryptSync), digestSync: Math.round(digestSync), total: Math.round(took) });
      }
      return { copyWarm, copyFresh, readDefault, readByob, cryptoCalls };
    });
    return { mibPerSecond, touch };
  } finally {
    await close();
  }
}
