// The sealing worker (a dedicated worker started per upload by spool.ts): reads the chosen file in
// chunk-sized pieces, seals them (lib/crypto's FileSealer) and writes each multipart part, as
// ciphertext, to its own file in the origin-private file system through a sync access handle. The
// page sends those files: the browser's network service reads them from disk as it does any chosen
// file, so neither the page nor the browser process holds the parts in memory (memory-backed Blobs
// kept every part in the browser process: docs/bench-log/2026-12-05-documents-2-second-pass.md).
// Only ciphertext is written. The page hands a part file back once the store has it, and the next
// part is written over it (a new file per part cost more CPU and time:
// docs/bench-log/2026-12-05-documents-4-fourth-pass.md); the directory goes when the upload ends.
import { FileSealer, padPieces, sealPieces } from "@/lib/crypto";
import { FileChangedError, readPieces, reopenWarning } from "./read-pieces";
import { SPOOL_DIR, spoolLock, type FromSealer, type ToSealer } from "./spool-messages";
import { Waits } from "./waits";

/** FileSystemSyncAccessHandle, as far as this worker uses it (not in TypeScript's DOM library). */
type SyncHandle = { write(data: Uint8Array, options: { at: number }): number; truncate(size: number): void; close(): void };
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };

const post = (m: FromSealer) => postMessage(m);
const STORAGE_FULL = "The browser's storage is full: free some space and try again.";

/** Part files that may be written: never made yet (`credits`), or sent and handed back (`free`). */
let credits = 0;
let made = 0;
const free: number[] = [];
let wake: (() => void) | undefined;

/** What the worker awaits now and how far it got, for the page to report if it waits too long. */
const waits = new Waits("nothing (it is working)");
let sealed = 0;

/** The file's pieces, each read noted as what the worker awaits. */
async function* traced<T>(pieces: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    for (;;) {
      const next = await waits.on("reading the file", pieces.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await pieces.return(undefined);
  }
}

/** A part file to write the next part to: one handed back, else a new one. */
async function slot(): Promise<number> {
  for (;;) {
    const reused = free.shift();
    if (reused !== undefined) return reused;
    if (credits > 0) {
      credits--;
      return ++made;
    }
    await waits.on("a part file to be handed back", new Promise<void>((r) => (wake = r)));
  }
}

async function seal(job: Extract<ToSealer, { type: "start" }>): Promise<void> {
  const root = await navigator.storage.getDirectory();
  if (!("createSyncAccessHandle" in FileSystemFileHandle.prototype)) return post({ type: "unsupported", reason: "no sync access handles" });
  const spool = await root.getDirectoryHandle(SPOOL_DIR, { create: true });
  // The lock first, the directory second: a sweep (spool.ts) removes only unlocked directories.
  await navigator.locks.request(spoolLock(job.name), async () => {
    const dir = await spool.getDirectoryHandle(job.name, { create: true });
    // Before any part: a browser that has the API but cannot use it here (some private windows)
    // fails now, and the page seals in memory instead.
    const probe = (await dir.getFileHandle("probe", { create: true })) as SyncFileHandle;
    (await probe.createSyncAccessHandle()).close();
    await dir.removeEntry("probe");
    post({ type: "ready" });
    const sealer = await FileSealer.create({ key: job.key, fileId: job.fileId, consultId: job.consultId, chunkSize: job.chunkSize });
    let part = 0;
    let open: { fh: SyncFileHandle; handle: SyncHandle; slot: number; at: number } | undefined;
    const close = async () => {
      if (!open) return;
      open.handle.truncate(open.at); // a shorter last part written over a full one
      open.handle.close(); // no flush(): a spool file needs no fsync, only to be complete when read
      post({ type: "part", part, slot: open.slot, file: await waits.on("the part file", open.fh.getFile()) });
      open = undefined;
    };
    const onReopen = (at: number) => post({ type: "warning", message: reopenWarning(at) });
    // The file's pieces, then its padding: zeros up to its padded size (PROTOCOL §5).
    const chunks = sealPieces(sealer, traced(padPieces(readPieces(job.file, job.chunkSize, { onReopen }), job.file.size, job.chunkSize)));
    for (;;) {
      const next = await waits.on("encryption", chunks.next()); // "reading the file" while a read is awaited
      if (next.done) break;
      const chunk = next.value;
      sealed += chunk.length;
      if (!open) {
        const n = await slot();
        part++;
        const fh = (await waits.on("opening a part file", dir.getFileHandle(String(n), { create: true }))) as SyncFileHandle;
        open = { fh, handle: await waits.on("opening a part file", fh.createSyncAccessHandle()), slot: n, at: 0 };
      }
      const written = open.handle.write(chunk, { at: open.at });
      if (written !== chunk.length) throw new Error(STORAGE_FULL);
      open.at += written;
      if (open.at >= job.partSize) await close();
    }
    await close();
    post({ type: "done", digest: await waits.on("the file's hash", sealer.digest()) });
  });
}

onmessage = (e: MessageEvent<ToSealer>) => {
  const m = e.data;
  if (m.type === "status") return post({ type: "status", waiting: waits.now, sealed });
  if (m.type === "credit" || m.type === "free") {
    if (m.type === "credit") credits += m.count;
    else free.push(m.slot);
    wake?.();
    wake = undefined;
    return;
  }
  seal(m).catch((err: unknown) => {
    const full = err instanceof DOMException && err.name === "QuotaExceededError";
    const message = full ? STORAGE_FULL : err instanceof Error ? err.message : String(err);
    // No origin-private file system here (e.g. a private window in some browsers): the page seals instead.
    // (After "ready" the page takes this as a failure.)
    if (err instanceof DOMException && !full && ["SecurityError", "NotSupportedError", "InvalidStateError", "NotAllowedError"].includes(err.name))
      return post({ type: "unsupported", reason: message });
    post({ type: "error", message, fileChanged: err instanceof FileChangedError });
  });
};
