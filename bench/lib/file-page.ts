// For the benches that look at a sender in a bare page (seal-pipeline.ts, put-source.ts): a file
// of random bytes on disk, a local server for a page with a file input, a worker script at
// /worker.js and a sink that discards PUTs, and a Chromium with a profile on disk (an incognito
// context keeps OPFS in memory) whose page has chosen the file.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { allowNamedFunctions, launchWithProfile, type LaunchedContext } from "./browser";

export type FilePage = { page: Page; browser: LaunchedContext; close: () => Promise<void> };

export async function openFilePage(o: { title: string; bytes: number; worker: string | Uint8Array }): Promise<FilePage> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "parley-file-page-"));
  const source = path.join(dir, "source.bin");
  writeFileSync(source, randomBytes(o.bytes));
  const server = createServer((req, res) => {
    if (req.method === "PUT") return void req.resume().on("end", () => res.end());
    res.setHeader("content-type", req.url === "/worker.js" ? "text/javascript" : "text/html");
    res.end(req.url === "/worker.js" ? o.worker : `<!doctype html><title>${o.title}</title><input type=file>`);
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const browser = await launchWithProfile();
  const close = async () => {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await allowNamedFunctions(browser.context);
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.setInputFiles("input", source);
    return { page, browser, close };
  } catch (err) {
    await close();
    throw err;
  }
}
