"use client";
// Sending a document (PROTOCOL §5): a fresh data key and file id per attempt; the file is read in
// chunk-sized pieces (read-pieces.ts), followed by zeros up to paddedFileSize (padPieces in
// lib/crypto/file-padding.ts: the server learns only the padded size), sealed chunk by chunk, a
// few under way at once (FileSealer and sealPieces in lib/crypto/file-stream.ts), and cut into
// multipart parts: by a worker into part files in the origin-private file system where the
// browser allows, else in the page into Blobs (spool.ts). The parts go straight to the store
// through presigned URLs, a few at a time, each retried on its own. At most PARALLEL_PARTS + 1
// parts exist at once, whatever the file's size. The server then joins the parts and checks their
// size; the returned notice is what the sealed `file` message announces.
import { bytesToUuid, cleanFileName, DEFAULT_CHUNK_SIZE, encryptedSize, newFileKey, paddedFileSize, SIZES, uuidBytes, type FileNotice } from "@/lib/crypto";
import { FILE_PART } from "@/lib/shared/api";
import { ClientApiError } from "../api";
import { fileActions } from "../consults";
import { PartUrls } from "./part-urls";
import { throttleProgress } from "./progress";
import { sealInPage, spoolParts, type PartSource } from "./spool";
import { StalledError, withinEach } from "./within-each";

export const PARALLEL_PARTS = 3;
const TARGET_PART_BYTES = 8 * 1024 * 1024;
const ATTEMPTS = 5;

/** A part size that holds whole chunks (so parts end on chunk boundaries) and S3 accepts. */
export function partSizeFor(chunkSize: number): number {
  const chunk = chunkSize + SIZES.tag;
  return Math.max(Math.ceil(TARGET_PART_BYTES / chunk), Math.ceil(FILE_PART.min / chunk)) * chunk;
}

/** A media type worth announcing: printable ASCII, short; anything else is left out. */
function cleanType(type: string): string {
  return /^[\x21-\x7e]{1,127}$/.test(type) ? type : "";
}

export type UploadProgress = { sent: number; total: number };

export type UploadOptions = {
  consultId: string;
  file: Blob & { name: string };
  signal: AbortSignal;
  onProgress: (p: UploadProgress) => void;
  /** called once the server has the upload (its id), before any byte is sent */
  onStarted?: (fileId: string) => void;
  chunkSize?: number;
};

class PartError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });

/**
 * A part whose request has sent nothing for this long is given up and retried: a connection that
 * stalls without an error would otherwise hold the upload forever.
 */
export const PART_STALL_MS = 30_000;

/**
 * The longest wait for the next sealed part: sealing one is a matter of moments even on a slow
 * machine, so minutes mean the read or the encryption is stuck.
 */
export const SEAL_STALL_MS = 120_000;

/** PUTs one part; resolves with its ETag. XMLHttpRequest, because fetch reports no upload progress. */
function putPart(url: string, body: Blob, signal: AbortSignal, onSent: (n: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let stalled = false;
    let lastProgress = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress < PART_STALL_MS) return;
      stalled = true;
      xhr.abort();
    }, 1000);
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => {
      lastProgress = Date.now();
      onSent(e.loaded);
    };
    // Once the body is sent, the store's answer is what is awaited; that counts as progress too.
    xhr.upload.onload = () => (lastProgress = Date.now());
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) return reject(new PartError(xhr.status, `The store refused a part (${xhr.status}).`));
      const etag = xhr.getResponseHeader("etag");
      if (!etag) return reject(new PartError(0, "The store did not show the part's ETag: its CORS settings must expose the ETag header (see the README)."));
      resolve(etag);
    };
    xhr.onerror = () => reject(new PartError(0, "The connection to the store dropped."));
    xhr.onabort = () => {
      if (stalled) {
        console.warn(`[parley] a part's upload made no progress for ${PART_STALL_MS / 1000} s; sending it again`);
        reject(new PartError(0, "The connection to the store stalled."));
      } else reject(signal.reason as Error);
    };
    // The signal lives as long as the whole upload: a listener left on it would keep this request,
    // and through it the part's bytes, alive until the upload ends.
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort, { once: true });
    xhr.onloadend = () => {
      clearInterval(watchdog);
      signal.removeEventListener("abort", abort);
    };
    xhr.send(body);
  });
}

/** Uploads parts a few at a time, each retried with backoff (a fresh URL after a refusal). */
class PartQueue {
  private readonly running = new Set<Promise<void>>();
  private readonly done: { partNumber: number; etag: string }[] = [];
  private readonly sentByPart = new Map<number, number>();
  private failure: Error | undefined;

  constructor(
    private readonly urls: PartUrls,
    private readonly signal: AbortSignal,
    private readonly progress: (sent: number) => void,
    /** a part's upload has ended, stored or given up */
    private readonly settled: (part: number) => void,
  ) {}

  private report(part: number, sent: number) {
    this.sentByPart.set(part, sent);
    let total = 0;
    for (const n of this.sentByPart.values()) total += n;
    this.progress(total);
  }

  private async upload(part: number, body: Blob): Promise<void> {
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const etag = await putPart(await this.urls.get(part, fresh), body, this.signal, (n) => this.report(part, n));
        this.report(part, body.size);
        this.done.push({ partNumber: part, etag });
        return;
      } catch (err) {
        if (this.signal.aborted) throw err;
        const status = err instanceof PartError || err instanceof ClientApiError ? err.status : 0;
        // 403: the URL expired (or a clock is off); ask for a new one. Other 4xx will not get better.
        if (attempt >= ATTEMPTS || (status >= 400 && status < 500 && status !== 403 && status !== 408 && status !== 429)) throw err;
        fresh = status === 403;
        this.report(part, 0);
        await sleep(500 * 2 ** attempt, this.signal);
      }
    }
  }

  /** Queues a part; waits while PARALLEL_PARTS are in flight (this is what bounds memory). */
  async add(part: number, body: Blob): Promise<void> {
    while (this.running.size >= PARALLEL_PARTS) await Promise.race(this.running);
    if (this.failure) throw this.failure;
    const p: Promise<void> = this.upload(part, body)
      .catch((err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        this.running.delete(p);
        this.settled(part);
      });
    this.running.add(p);
  }

  async finish(): Promise<{ partNumber: number; etag: string }[]> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure;
    return this.done;
  }
}

/** Encrypts and uploads `file`; resolves with its notice once the server holds all of it. */
export async function uploadFile(o: UploadOptions): Promise<FileNotice> {
  const chunkSize = o.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const { key, fileId: idBytes } = newFileKey();
  // A random UUID, so the id the AAD binds is also the server's id for the upload.
  idBytes[6] = ((idBytes[6] ?? 0) & 0x0f) | 0x40;
  idBytes[8] = ((idBytes[8] ?? 0) & 0x3f) | 0x80;
  const fileId = bytesToUuid(idBytes);
  const size = o.file.size;
  const total = encryptedSize(paddedFileSize(size), chunkSize);
  const partSize = partSizeFor(chunkSize);
  const partCount = Math.ceil(total / partSize);

  await fileActions.create(o.consultId, { fileId, size: total, partSize });
  o.onStarted?.(fileId);
  let source: PartSource | undefined;
  try {
    const seal = { file: o.file, key, fileId: idBytes, consultId: uuidBytes(o.consultId), chunkSize, partSize, signal: o.signal };
    const urls = new PartUrls(partCount, async (parts) => (await fileActions.partUrls(o.consultId, fileId, parts)).urls);
    // The first batch of URLs comes back while the first part is read and sealed (a failure here
    // is asked again when the part is sent).
    urls.get(1).catch(() => undefined);
    source = (await spoolParts({ ...seal, name: fileId, ahead: PARALLEL_PARTS + 1 })) ?? sealInPage(seal);
    const shown = throttleProgress((sent) => o.onProgress({ sent, total }));
    const queue = new PartQueue(urls, o.signal, (sent) => shown(sent, total), source.settled);
    let count = 0;
    const sealing = source;
    for await (const { part, body } of withinEach(source.parts, SEAL_STALL_MS, () => sealing.explain())) {
      o.signal.throwIfAborted();
      await queue.add(part, body);
      count = part;
    }
    const parts = await queue.finish();
    if (count !== partCount) throw new Error(`The file changed while it was being read (${count} parts, not ${partCount}). Choose it again.`);
    // The sealed length is the padded one; the pieces were checked to add up to `size` (padPieces).
    const digest = await source.digest();
    await fileActions.complete(o.consultId, fileId, parts);
    return { fileId: idBytes, key, name: cleanFileName(o.file.name), type: cleanType(o.file.type), size, chunkSize, chunkCount: digest.chunkCount, hash: digest.hash };
  } catch (err) {
    // Whatever reached the store goes: nothing half-uploaded stays behind.
    await fileActions.remove(o.consultId, fileId).catch(() => undefined);
    if (err instanceof StalledError) {
      console.warn(`[parley] no sealed part for ${SEAL_STALL_MS / 1000} s: ${err.message}`);
      throw new Error(`Encrypting the file made no progress for ${SEAL_STALL_MS / 60_000} minutes, so the upload stopped. Send it again; if it stops again, reload the page first.`);
    }
    throw err;
  } finally {
    await source?.close();
  }
}
