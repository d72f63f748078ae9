"use client";
// Where an upload's sealed parts come from. Preferred: a dedicated worker (seal-worker.ts) seals
// the file into part files in the origin-private file system, which the page sends as it sends
// any file (the browser reads them from disk), so memory does not grow with the file. Where the
// browser has no origin-private file system with sync access handles, or the worker does not
// start, the page seals in memory and sends each part as a Blob (sealInPage).
//
// At most `ahead` part files exist at once: the worker makes that many at most, and writes a part
// over a file only once the page has handed it back, when that part's upload has ended (stored or
// given up). The upload's directory goes when the upload ends, and directories that no running
// upload holds a Web Lock on (a tab closed mid-upload) are swept before the next upload starts.
import { FileSealer, padPieces, sealPieces, type FileContext, type FileDigest } from "@/lib/crypto";
import { FileChangedError, readPieces, reopenWarning } from "./read-pieces";
import { startSealWorker } from "./seal-worker-start";
import { SPOOL_DIR, spoolLock, type FromSealer, type ToSealer } from "./spool-messages";

export type SealedPart = { part: number; body: Blob };

export type PartSource = {
  /** the parts in order, 1-based; each ends on a chunk boundary */
  parts: AsyncIterable<SealedPart>;
  /** the upload of `part` has ended (stored or given up): its bytes may go */
  settled: (part: number) => void;
  /** size, chunk count and M, once `parts` has ended */
  digest(): Promise<FileDigest>;
  /** stops sealing and removes what is left; safe to call more than once */
  close(): Promise<void>;
  /** what the source is waiting for, in words, when no part comes (for the error and the console) */
  explain(): Promise<string>;
};

export type SealOptions = FileContext & { file: Blob; partSize: number; signal: AbortSignal };

/** Seals in the page, each part a memory-backed Blob: where no spool can be had. */
export function sealInPage(o: SealOptions): PartSource {
  let sealer: FileSealer | undefined;
  async function* parts(): AsyncGenerator<SealedPart> {
    sealer = await FileSealer.create(o);
    let held: Uint8Array<ArrayBuffer>[] = [];
    let heldBytes = 0;
    let part = 0;
    // Chunks are chunkSize + 16 bytes (the last one shorter) and partSize is a multiple of that,
    // so a part fills exactly; the last part is whatever is left. The file is padded (PROTOCOL §5).
    const pieces = padPieces(readPieces(o.file, o.chunkSize, { onReopen: (at) => console.warn(reopenWarning(at)) }), o.file.size, o.chunkSize);
    for await (const chunk of sealPieces(sealer, pieces)) {
      o.signal.throwIfAborted();
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes >= o.partSize) {
        yield { part: ++part, body: new Blob(held) };
        held = [];
        heldBytes = 0;
      }
    }
    if (heldBytes > 0) yield { part: ++part, body: new Blob(held) };
  }
  return {
    parts: parts(),
    settled: () => undefined,
    digest: async () => {
      if (!sealer) throw new Error("the file has not been sealed");
      return sealer.digest();
    },
    close: () => Promise.resolve(),
    explain: () => Promise.resolve("the page's reading or encryption of the file did not return"),
  };
}

async function spoolRoot(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(SPOOL_DIR, { create: true });
}

/** Removes spool directories no running upload holds (left by a tab closed mid-upload). */
async function sweepSpools(): Promise<void> {
  const root = await spoolRoot();
  for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) {
    await navigator.locks.request(spoolLock(name), { ifAvailable: true }, async (lock) => {
      if (lock) await root.removeEntry(name, { recursive: true }).catch(() => undefined);
    });
  }
}

/** Messages from the worker, awaited one at a time; an abort or the worker's failure ends the wait. */
class Inbox {
  private readonly queue: FromSealer[] = [];
  private waiter: ((m: FromSealer) => void) | undefined;
  push(m: FromSealer): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(m);
    } else this.queue.push(m);
  }
  next(signal: AbortSignal, ms?: number): Promise<FromSealer | "timeout"> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = ms === undefined ? undefined : setTimeout(() => ((this.waiter = undefined), resolve("timeout")), ms);
      const abort = () => (clearTimeout(timer), (this.waiter = undefined), reject(signal.reason as Error));
      if (signal.aborted) return abort();
      signal.addEventListener("abort", abort, { once: true });
      this.waiter = (m) => (clearTimeout(timer), signal.removeEventListener("abort", abort), resolve(m));
    });
  }
}

/** How long a worker may take to open its spool before the page seals in memory instead. */
const START_MS = 15_000;
/** How long a worker may take to say what it is waiting for. */
const STATUS_MS = 2_000;

/**
 * Seals into the spool through a worker; undefined where this browser cannot (the caller then
 * uses sealInPage). `name` names the upload's directory (its file id); `ahead`: part files at most.
 */
export async function spoolParts(o: SealOptions & { name: string; ahead: number }): Promise<PartSource | undefined> {
  if (typeof Worker === "undefined" || !navigator.storage?.getDirectory || !navigator.locks) return undefined;
  try {
    await sweepSpools();
  } catch {
    return undefined; // no origin-private file system here
  }
  const inbox = new Inbox();
  const worker = startSealWorker();
  let status: ((m: Extract<FromSealer, { type: "status" }>) => void) | undefined;
  worker.onmessage = (e: MessageEvent<FromSealer>) => (e.data.type === "status" ? status?.(e.data) : inbox.push(e.data));
  worker.onerror = (e) => inbox.push({ type: "error", message: e.message || "The encryption worker stopped.", fileChanged: false });
  const send = (m: ToSealer) => worker.postMessage(m);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    worker.terminate();
    // The worker's handles and lock go with it; a directory still busy is swept next time.
    const root = await spoolRoot().catch(() => undefined);
    await root?.removeEntry(o.name, { recursive: true }).catch(() => undefined);
  };
  send({ type: "start", name: o.name, file: o.file, key: o.key, fileId: o.fileId, consultId: o.consultId, chunkSize: o.chunkSize, partSize: o.partSize });
  const first = await inbox.next(o.signal, START_MS).catch(async (err: unknown) => {
    await close();
    throw err;
  });
  if (first === "timeout" || first.type !== "ready") {
    await close();
    if (first !== "timeout" && first.type === "error" && first.fileChanged) throw new FileChangedError();
    return undefined;
  }
  send({ type: "credit", count: o.ahead });
  const slots = new Map<number, number>();
  let digest: FileDigest | undefined;
  async function* parts(): AsyncGenerator<SealedPart> {
    for (;;) {
      const m = await inbox.next(o.signal);
      if (m === "timeout" || m.type === "ready" || m.type === "status") continue;
      if (m.type === "warning") {
        console.warn(m.message);
        continue;
      }
      if (m.type === "part") {
        slots.set(m.part, m.slot);
        yield { part: m.part, body: m.file };
      } else if (m.type === "done") return void (digest = m.digest);
      else if (m.type === "error") throw m.fileChanged ? new FileChangedError() : new Error(m.message);
      else throw new Error(`The encryption worker could not go on (${m.reason}).`);
    }
  }
  return {
    parts: parts(),
    settled: (part) => {
      const slot = slots.get(part);
      slots.delete(part);
      if (slot !== undefined && !closed) send({ type: "free", slot });
    },
    digest: () => (digest ? Promise.resolve(digest) : Promise.reject(new Error("the file has not been sealed"))),
    close,
    explain: () =>
      new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve("the encryption worker does not answer"), STATUS_MS);
        status = (m) => (clearTimeout(timer), resolve(`the encryption worker is waiting for ${m.waiting}, ${Math.floor(m.sealed / 1024 ** 2)} MiB sealed`));
        send({ type: "status" });
      }),
  };
}
