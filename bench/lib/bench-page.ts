// A blank page in Chromium for benchmarks that need no Parley server, only a secure context
// (WebCrypto, WebAssembly): served from 127.0.0.1 by a throwaway server started here, with any
// scripts the page loads. close() ends both.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { allowNamedFunctions, launchChromium } from "./browser";

export async function benchPage(title: string, scripts: Record<string, Buffer> = {}): Promise<{ page: Page; close: () => Promise<void> }> {
  const tags = Object.keys(scripts)
    .map((path) => `<script src="${path}"></script>`)
    .join("");
  const server = createServer((req, res) => {
    const script = req.url ? scripts[req.url] : undefined;
    res.setHeader("content-type", script ? "text/javascript" : "text/html");
    res.end(script ?? `<!doctype html><title>${title}</title>${tags}`);
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { browser } = await launchChromium();
  try {
    const context = await browser.newContext();
    await allowNamedFunctions(context);
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return {
      page,
      close: async () => {
        await browser.close();
        server.close();
      },
    };
  } catch (err) {
    await browser.close();
    server.close();
    throw err;
  }
}
