// What a browser holds in its IndexedDB (lib/client/parley-db.ts), read by tests to check that
// none of it ever reaches the server.
import type { Page } from "@playwright/test";

/** The raw bytes of every consult key the doctor's device holds (the owner keeps them extractable). */
export async function consultKeyBytes(page: Page): Promise<Buffer[]> {
  const keys = await page.evaluate(
    () =>
      new Promise<number[][]>((resolve, reject) => {
        const req = indexedDB.open("parley");
        req.onerror = () => reject(new Error("no IndexedDB"));
        req.onsuccess = () => {
          const all = req.result.transaction("consultKeys").objectStore("consultKeys").getAll();
          all.onsuccess = () => resolve((all.result as { raw?: Uint8Array }[]).flatMap((k) => (k.raw ? [Array.from(k.raw)] : [])));
          all.onerror = () => reject(new Error("no keys"));
        };
      }),
  );
  return keys.map((k) => Buffer.from(k));
}
