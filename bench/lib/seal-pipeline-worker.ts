// The sealing worker's stages (lib/client/files/seal-worker.ts), one at a time, for
// bench/seal-pipeline.ts: bundled by esbuild and started by its page, it takes a chosen file and a
// mode, runs that much of the pipeline over the whole file and answers how long it took.
//   read         readPieces only (the BYOB reader into one reused buffer)
//   read-sync    instead, FileReaderSync over 8 MiB slices (for comparison; not used by the room)
//   read-slice   instead, slice().arrayBuffer() over 8 MiB slices (likewise)
//   gcm          plus AES-256-GCM of each piece, 4 in flight, nothing else
//   seal         FileSealer: GCM plus the SHA-256 of each chunk, as the room seals
//   spool-new    plus each part written to a new OPFS file through a sync access handle, removed when done
//   spool-reuse  plus each part written over one of 4 part files, as the room does since 2026-12-05
import { readPieces } from "@/lib/client/files/read-pieces";
import { Waits } from "@/lib/client/files/waits";
import { FileSealer, sealPieces } from "@/lib/crypto";

type SyncHandle = { write(data: Uint8Array, options: { at: number }): number; truncate(size: number): void; close(): void };
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };
export type Job = { file: File; chunkSize: number; partSize: number; mode: string };
export type Answer = { ms: number; bytes: number } | { error: string };
/** Sent every second while a job runs: how far it got and what it is waiting for (to find a hang). */
export type Progress = { progress: number; waiting: string };

let done = 0;
const waits = new Waits("nothing");
const on = <T>(what: string, p: Promise<T>) => waits.on(what, p);

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function readOnly(file: File, chunkSize: number): Promise<number> {
  let bytes = 0;
  for await (const { piece } of readPieces(file, chunkSize)) bytes += piece.length;
  return bytes;
}

/** Other ways to read: FileReaderSync, or slice().arrayBuffer(), 8 MiB at a time. */
async function readOther(file: File, sync: boolean): Promise<number> {
  const step = 8 * 1024 * 1024;
  let bytes = 0;
  // FileReaderSync exists only in workers, so the DOM types the project compiles with lack it
  const reader = sync ? new (globalThis as unknown as { FileReaderSync: new () => { readAsArrayBuffer(b: Blob): ArrayBuffer } }).FileReaderSync() : undefined;
  for (let at = 0; at < file.size; at += step) {
    const slice = file.slice(at, at + step);
    bytes += (reader ? reader.readAsArrayBuffer(slice) : await slice.arrayBuffer()).byteLength;
  }
  return bytes;
}

async function gcmOnly(file: File, chunkSize: number): Promise<number> {
  const key = await crypto.subtle.importKey("raw", random(32), "AES-GCM", false, ["encrypt"]);
  const queue: Promise<ArrayBuffer>[] = [];
  let bytes = 0;
  let i = 0;
  for await (const { piece } of readPieces(file, chunkSize)) {
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, i++);
    queue.push(crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, piece as Uint8Array<ArrayBuffer>));
    if (queue.length >= 4) bytes += (await queue.shift())?.byteLength ?? 0;
  }
  for (const c of queue) bytes += (await c).byteLength;
  return bytes;
}

async function sealed(job: Job): Promise<number> {
  const sealer = await FileSealer.create({ key: random(32), fileId: random(16), consultId: random(16), chunkSize: job.chunkSize });
  const spool = job.mode.startsWith("spool") ? await navigator.storage.getDirectory() : undefined;
  let bytes = 0;
  let part = 0;
  let open: { name: string; fh: SyncFileHandle; handle: SyncHandle; at: number } | undefined;
  const close = async () => {
    if (!open || !spool) return;
    open.handle.truncate(open.at);
    open.handle.close();
    await on("getFile", open.fh.getFile()); // what the room hands the page
    if (job.mode === "spool-new") await on("removeEntry", spool.removeEntry(open.name));
    open = undefined;
  };
  const pieces = readPieces(job.file, job.chunkSize);
  async function* traced(): AsyncGenerator<{ piece: Uint8Array; last: boolean }> {
    for (;;) {
      const next = await on("file read", pieces.next());
      if (next.done) return;
      yield next.value;
    }
  }
  const chunks = sealPieces(sealer, traced());
  for (;;) {
    const next = await on("sealed chunk", chunks.next());
    if (next.done) break;
    const chunk = next.value;
    bytes += chunk.length;
    done = bytes;
    if (!spool) continue;
    if (!open) {
      const name = job.mode === "spool-new" ? `part-${++part}` : `slot-${++part % 4}`;
      const fh = (await on("getFileHandle", spool.getFileHandle(name, { create: true }))) as SyncFileHandle;
      open = { name, fh, handle: await on("createSyncAccessHandle", fh.createSyncAccessHandle()), at: 0 };
    }
    open.at += open.handle.write(chunk, { at: open.at });
    if (open.at >= job.partSize) await close();
  }
  await close();
  await on("digest", sealer.digest());
  return bytes;
}

onmessage = async (e: MessageEvent<Job>) => {
  const job = e.data;
  setInterval(() => postMessage({ progress: done, waiting: waits.now } satisfies Progress), 1000);
  try {
    const t0 = performance.now();
    const bytes =
      job.mode === "read"
        ? await readOnly(job.file, job.chunkSize)
        : job.mode === "read-sync" || job.mode === "read-slice"
          ? await readOther(job.file, job.mode === "read-sync")
          : job.mode === "gcm"
            ? await gcmOnly(job.file, job.chunkSize)
            : await sealed(job);
    postMessage({ ms: performance.now() - t0, bytes } satisfies Answer);
  } catch (err) {
    postMessage({ error: String(err) } satisfies Answer);
  }
};
