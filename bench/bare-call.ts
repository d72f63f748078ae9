// The bare stack Parley's call set-up is held against: a simple-peer call (the same library and
// browser) over a bare Server-Sent Events relay, with no accounts, no database, no handshake and no
// verification. Two pages with fake cameras each open the relay's stream and their camera; the
// clock starts when the initiator is told to call, and stops at the first decoded remote frame on
// both sides, as in bench/call-setup.ts.
import http from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { summarize, type Summary } from "./lib/stats";
import { launchChromium } from "./lib/browser";

const require = createRequire(import.meta.url);
const SIMPLE_PEER = readFileSync(require.resolve("simple-peer/simplepeer.min.js"), "utf8");

const PAGE = `<!doctype html><meta charset="utf-8"><title>bare call</title>
<video id="remote" autoplay playsinline muted></video>
<script src="/simplepeer.min.js"></script>
<script>
const me = new URLSearchParams(location.search).get("id");
const other = me === "a" ? "b" : "a";
let peer;
const post = (data) => fetch("/signal?to=" + other, { method: "POST", body: JSON.stringify(data) });
function makePeer(initiator) {
  peer = new SimplePeer({ initiator, stream: window.__local, trickle: true, config: { iceServers: [] } });
  peer.on("signal", post);
  peer.on("stream", (s) => {
    const v = document.getElementById("remote");
    v.srcObject = s;
    const poll = setInterval(() => {
      if (v.readyState < 2 || v.videoWidth === 0) return;
      clearInterval(poll);
      window.__firstRemoteFrameAt = Date.now();
    }, 5);
  });
}
window.__call = () => makePeer(true);
navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then((stream) => {
  window.__local = stream;
  const events = new EventSource("/events?id=" + me);
  events.onmessage = (m) => {
    if (!peer) makePeer(false);
    peer.signal(JSON.parse(m.data));
  };
  events.onopen = () => (window.__ready = true);
});
</script>`;

/** The relay: one SSE stream per page, and POST /signal?to=… forwards a body to that page's stream. */
function startRelay(): Promise<{ url: string; close: () => Promise<void> }> {
  const streams = new Map<string, http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/simplepeer.min.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(SIMPLE_PEER);
    if (url.pathname === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" }).write(": open\n\n");
      streams.set(url.searchParams.get("id") ?? "", res);
      return;
    }
    if (url.pathname === "/signal" && req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        streams.get(url.searchParams.get("to") ?? "")?.write(`data: ${body}\n\n`);
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => {
          for (const s of streams.values()) s.end();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

const firstFrameAt = async (page: Page) =>
  (await (await page.waitForFunction(() => (window as { __firstRemoteFrameAt?: number }).__firstRemoteFrameAt, undefined, { timeout: 30_000, polling: 20 })).jsonValue()) as number;

export type BareCall = { calls: number; both: Summary };

export async function bareCall(calls: number): Promise<BareCall> {
  const relay = await startRelay();
  const { browser } = await launchChromium();
  const both: number[] = [];
  try {
    for (let i = -1; i < calls; i++) {
      // call -1 warms the browser up and is not counted
      const contexts = await Promise.all([0, 1].map(() => browser.newContext({ permissions: ["camera", "microphone"] })));
      const [a, b] = await Promise.all(contexts.map((c) => c.newPage()));
      if (!a || !b) throw new Error("no page");
      await Promise.all([a.goto(`${relay.url}/?id=a`), b.goto(`${relay.url}/?id=b`)]);
      await Promise.all([a, b].map((p) => p.waitForFunction(() => (window as { __ready?: boolean }).__ready === true)));
      const t0 = Date.now();
      await a.evaluate(() => (window as unknown as { __call: () => void }).__call());
      const [fa, fb] = await Promise.all([firstFrameAt(a), firstFrameAt(b)]);
      if (i >= 0) both.push(Math.max(fa, fb) - t0);
      await Promise.all(contexts.map((c) => c.close()));
    }
  } finally {
    await browser.close();
    await relay.close();
  }
  return { calls, both: summarize(both) };
}
