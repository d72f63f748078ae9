// Parley's download service worker (lib/client/files/save-file.ts): it turns a document the page
// is decrypting into an ordinary browser download that is written to disk as it arrives, so a
// large file never has to sit whole in memory. Its scope is /parley-downloads/ only: it sees no
// other request. A page announces a download (a random id, the file name, its size, and a
// MessagePort); a navigation to /parley-downloads/<id> is answered with a stream that pulls the
// decrypted bytes from that port. An error from the page fails the download (the browser then
// discards the partial file): a document that did not authenticate is never saved as if whole.
"use strict";

const PREFIX = "/parley-downloads/";
const ID = /^[A-Za-z0-9_-]{22,64}$/;
/** announced downloads not yet fetched, by id */
const pending = new Map();

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const d = event.data;
  if (event.origin && event.origin !== self.location.origin) return;
  if (!d || typeof d !== "object") return;
  if (d.type === "ping") return; // a page keeps this worker alive while it streams
  if (d.type !== "download" || typeof d.id !== "string" || !ID.test(d.id) || typeof d.name !== "string") return;
  const port = event.ports && event.ports[0];
  if (!port) return;
  pending.set(d.id, { name: d.name, size: Number.isSafeInteger(d.size) && d.size >= 0 ? d.size : undefined, port });
  // Forgotten when nobody comes for it.
  setTimeout(() => {
    const p = pending.get(d.id);
    if (p && p.port === port) {
      pending.delete(d.id);
      port.postMessage({ type: "cancel", reason: "not fetched" });
    }
  }, 60_000);
  port.postMessage({ type: "ready" });
});

function streamFrom(port) {
  let waiting = null;
  port.onmessage = (event) => {
    const m = event.data;
    const w = waiting;
    waiting = null;
    if (w) w(m);
  };
  return new ReadableStream(
    {
      pull(controller) {
        return new Promise((resolve) => {
          waiting = (m) => {
            if (m && m.type === "chunk" && m.chunk instanceof Uint8Array) controller.enqueue(m.chunk);
            else if (m && m.type === "done") controller.close();
            else controller.error(new Error((m && m.reason) || "the download failed"));
            resolve();
          };
          port.postMessage({ type: "pull" });
        });
      },
      cancel(reason) {
        port.postMessage({ type: "cancel", reason: String(reason || "cancelled") });
      },
    },
    { highWaterMark: 1 },
  );
}

/** RFC 6266 / 5987: an ASCII fallback and the exact UTF-8 name. */
function disposition(name) {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(PREFIX)) return;
  const id = url.pathname.slice(PREFIX.length);
  const d = ID.test(id) ? pending.get(id) : undefined;
  if (!d) {
    event.respondWith(new Response("This download has expired: start it again from the consult.", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } }));
    return;
  }
  pending.delete(id);
  const headers = {
    "content-type": "application/octet-stream",
    "content-disposition": disposition(d.name),
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  };
  if (d.size !== undefined) headers["content-length"] = String(d.size);
  event.respondWith(new Response(streamFrom(d.port), { headers }));
});
