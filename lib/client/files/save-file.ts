"use client";
// Saving a decrypted document as an ordinary browser download, written as it is decrypted: the
// page hands the bytes to public/parley-download-sw.js through a MessagePort, one chunk per pull,
// and a navigation of a hidden frame to /parley-downloads/<id> becomes the download. Where there is
// no service worker (a private window in some browsers), the bytes are collected in a Blob and
// saved at the end. Aborting the writable fails the download: the browser discards the partial
// file, so a document that did not authenticate is never saved as if whole.

const SW_URL = "/parley-download-sw.js";
const SCOPE = "/parley-downloads/";
const READY_TIMEOUT_MS = 5_000;
const PING_MS = 10_000;

let registration: Promise<ServiceWorker | undefined> | undefined;

/** The active download worker, registered once per page; undefined where there can be none. */
function downloadWorker(): Promise<ServiceWorker | undefined> {
  registration ??= (async () => {
    if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || !window.isSecureContext) return undefined;
    try {
      const reg = await navigator.serviceWorker.register(SW_URL, { scope: SCOPE });
      const sw = reg.active ?? reg.waiting ?? reg.installing;
      if (!sw) return undefined;
      if (sw.state === "activated") return sw;
      return await new Promise<ServiceWorker | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), READY_TIMEOUT_MS);
        sw.addEventListener("statechange", () => {
          if (sw.state === "activated") {
            clearTimeout(timer);
            resolve(sw);
          } else if (sw.state === "redundant") {
            clearTimeout(timer);
            resolve(undefined);
          }
        });
      });
    } catch (err) {
      console.warn("[parley] downloads will be collected in memory: the download worker did not start:", err);
      return undefined;
    }
  })();
  return registration;
}

export type SaveTarget = {
  /** write the decrypted bytes here; abort it on any error */
  writable: WritableStream<Uint8Array>;
  /** "disk": streamed by the browser as it arrives; "memory": collected, saved at the end */
  mode: "disk" | "memory";
};

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A copy when the chunk is a view into a larger buffer (only whole buffers can be transferred). */
function ownBuffer(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer) return chunk as Uint8Array<ArrayBuffer>;
  return chunk.slice();
}

async function streamedToDisk(sw: ServiceWorker, name: string, size: number): Promise<SaveTarget | undefined> {
  const id = randomId();
  const channel = new MessageChannel();
  const port = channel.port1;
  let pulls = 0;
  let stopped: string | undefined;
  let wake: (() => void) | undefined;
  let aborted: string | undefined;
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    port.onmessage = (e: MessageEvent<{ type?: string; reason?: string }>) => {
      const m = e.data;
      if (m?.type === "ready") {
        clearTimeout(timer);
        resolve(true);
      } else if (m?.type === "pull") {
        if (aborted !== undefined) port.postMessage({ type: "error", reason: aborted });
        else pulls++;
      } else if (m?.type === "cancel") {
        stopped = m.reason ?? "cancelled";
      }
      wake?.();
    };
  });
  sw.postMessage({ type: "download", id, name, size }, [channel.port2]);
  if (!(await ready)) return undefined;

  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.src = `${SCOPE}${id}`;
  document.body.append(frame);
  const ping = setInterval(() => sw.postMessage({ type: "ping" }), PING_MS);
  const finish = () => {
    clearInterval(ping);
    setTimeout(() => {
      frame.remove();
      port.close();
    }, 60_000);
  };
  const nextPull = async () => {
    while (pulls === 0) {
      if (stopped !== undefined) throw new Error(stopped === "not fetched" ? "The browser did not start the download." : "The download was cancelled.");
      await new Promise<void>((resolve) => (wake = resolve));
    }
    pulls--;
  };
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await nextPull();
      const own = ownBuffer(chunk);
      port.postMessage({ type: "chunk", chunk: own }, [own.buffer]);
    },
    async close() {
      await nextPull();
      port.postMessage({ type: "done" });
      finish();
    },
    abort(reason) {
      aborted = reason instanceof Error ? reason.message : String(reason ?? "failed");
      if (pulls > 0) {
        pulls--;
        port.postMessage({ type: "error", reason: aborted });
      }
      finish();
    },
  });
  return { writable, mode: "disk" };
}

function collectedInMemory(name: string, type: string): SaveTarget {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      parts.push(ownBuffer(chunk));
    },
    close() {
      saveBlob(new Blob(parts, { type: type || "application/octet-stream" }), name);
      parts.length = 0;
    },
    abort() {
      parts.length = 0;
    },
  });
  return { writable, mode: "memory" };
}

/** Saves a Blob the page already holds, as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Where a decrypted download goes: to disk as it arrives where the browser allows, else a Blob. */
export async function openSaveTarget(name: string, type: string, size: number): Promise<SaveTarget> {
  const sw = await downloadWorker();
  const disk = sw ? await streamedToDisk(sw, name, size) : undefined;
  return disk ?? collectedInMemory(name, type);
}
