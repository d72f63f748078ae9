// Documents as people send and fetch them in the room (PROTOCOL §5): shared by the PostgreSQL +
// S3 spec and the embedded (filesystem store) spec.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { expectConnected, type TwoParty } from "./consult";

export type TestFile = { name: string; path: string; bytes: Buffer; type: string };

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A small, valid one-page PDF saying `text`. */
export function pdfBytes(text: string): Buffer {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${`BT /F1 18 Tf 20 70 Td (${text}) Tj ET`.length} >>\nstream\nBT /F1 18 Tf 20 70 Td (${text}) Tj ET\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** Writes test files to a fresh temporary folder. */
export async function makeFiles(specs: { name: string; bytes: Buffer; type: string }[]): Promise<TestFile[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "parley-e2e-files-"));
  return Promise.all(
    specs.map(async (s) => {
      const p = path.join(dir, s.name);
      await writeFile(p, s.bytes);
      return { ...s, path: p };
    }),
  );
}

export const randomFile = (name: string, size: number): { name: string; bytes: Buffer; type: string } => ({ name, bytes: randomBytes(size), type: "application/octet-stream" });

export async function verifyCall(call: TwoParty): Promise<void> {
  await expectConnected(call.doctor);
  await expectConnected(call.patient);
  for (const page of [call.doctor, call.patient]) await page.getByTestId("verify-confirm").click();
  for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
  // Sending opens once the consult key has arrived too (PROTOCOL §3), as for chat.
  for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("file-input")).toBeEnabled();
}

export const fileItem = (page: Page, name: string) => page.getByTestId("file-item").filter({ hasText: name });

/** Notes on the page whether an `upload-progress` element ever showed (uploads on loopback are quick). */
export async function watchUploadProgress(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => {
    const w = window as unknown as { __parleySawProgress?: boolean };
    w.__parleySawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="upload-progress"]')) w.__parleySawProgress = true;
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  return () => page.evaluate(() => (window as unknown as { __parleySawProgress?: boolean }).__parleySawProgress === true);
}

/** Clicks Download on the document and returns the saved bytes (an ordinary browser download). */
export async function downloadOf(page: Page, file: TestFile): Promise<Buffer> {
  const item = fileItem(page, file.name);
  await expect(item).toHaveAttribute("data-state", "ready");
  const [download] = await Promise.all([page.waitForEvent("download"), item.getByTestId("file-download").click()]);
  expect(download.suggestedFilename()).toBe(file.name);
  // Streamed to disk through the download worker (public/parley-download-sw.js), not collected in memory.
  expect(download.url()).toMatch(/\/parley-downloads\/[A-Za-z0-9_-]{22}$/);
  expect(await download.failure()).toBeNull();
  return readFile(await download.path());
}

/**
 * What the page's spool (lib/client/files/spool.ts) holds: the names of the files under the
 * origin-private `parley-spool` directory, at any depth. Empty once every upload has ended.
 */
export function spoolEntries(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    type Dir = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };
    const names: string[] = [];
    const walk = async (dir: Dir, at: string): Promise<void> => {
      for await (const [name, h] of dir.entries()) {
        names.push(`${at}${name}`);
        if (h.kind === "directory") await walk(h as Dir, `${at}${name}/`);
      }
    };
    const root = (await navigator.storage.getDirectory()) as Dir;
    const spool = await root.getDirectoryHandle("parley-spool").catch(() => undefined);
    if (spool) await walk(spool as Dir, "");
    return names;
  });
}

/** Counts the dedicated workers `page` starts from now on (the sealing worker is one per upload). */
export function countWorkers(page: Page): () => number {
  let n = 0;
  page.on("worker", () => n++);
  return () => n;
}

/**
 * Run in a page or worker (`evaluate(stallBlobStreams, { limit, firstOnly })`): Blob streams in
 * that realm stop answering reads once `limit` bytes have been given (by the first stream opened
 * only, or by all of them together), as Chromium's were seen to under load
 * (docs/bench-log/2026-12-05-documents-4-fourth-pass.md).
 * Wait for `stalled` before moving the page's clock: moved earlier, a read merely under way
 * would look stuck.
 */
export function stallBlobStreams({ limit, firstOnly }: { limit: number; firstOnly: boolean }): void {
  let opened = 0;
  let given = 0;
  Blob.prototype.stream = function (this: Blob) {
    const first = opened++ === 0;
    let at = 0;
    return new ReadableStream({
      type: "bytes",
      pull: async (c) => {
        if ((first || !firstOnly) && (firstOnly ? at : given) >= limit) {
          (globalThis as { __stalled?: boolean }).__stalled = true; // see stalled()
          await new Promise<void>(() => undefined);
        }
        if (at >= this.size) {
          c.close();
          c.byobRequest?.respond(0);
          return;
        }
        const piece = new Uint8Array(await this.slice(at, at + 256 * 1024).arrayBuffer());
        at += piece.length;
        given += piece.length;
        c.enqueue(piece);
      },
    });
  };
}

/** Whether a stream patched by stallBlobStreams in that page or worker has stopped answering. */
export const stalled = (realm: { evaluate: (f: () => boolean) => Promise<boolean> }) => realm.evaluate(() => (globalThis as { __stalled?: boolean }).__stalled === true);
