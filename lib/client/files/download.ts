"use client";
// Fetching a document (PROTOCOL §5): a presigned GET straight from the store, decrypted as it
// arrives (lib/crypto/file-stream.ts) into a sink — a download written to disk, or a Blob for a
// preview. A dropped connection resumes with a Range request where it stopped. Only the
// document's own bytes reach the sink, not its padding (lib/crypto/file-padding.ts). The sink is
// aborted on any failure, and the stream ends normally only when every chunk, the chunk count,
// the padded length, M and the padding's zeros check out: nothing unauthenticated is ever handed
// over as the document.
import { bytesToUuid, decryptDocumentStream, encryptedSize, ProtocolError, sealedLength, uuidBytes, type FileNotice } from "@/lib/crypto";
import { ClientApiError } from "../api";
import { fileActions } from "../consults";

const ATTEMPTS = 5;

export type DownloadProgress = { received: number; total: number };

export class DownloadError extends Error {
  constructor(
    message: string,
    /** the document failed its integrity check (altered, truncated, extended, or not this one) */
    readonly integrity = false,
  ) {
    super(message);
  }
}

class HttpStatus extends Error {
  constructor(readonly status: number) {
    super(`The store answered ${status}.`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stored ciphertext as one stream; a broken connection is picked up again with Range. */
function ciphertextOf(consultId: string, fileId: string, signal: AbortSignal, onBytes: (n: number) => void, urlOf: UrlOf): ReadableStream<Uint8Array> {
  let received = 0;
  let failures = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let url: string | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        try {
          if (!reader) {
            url ??= (await urlOf(consultId, fileId)).url;
            const res = await fetch(url, { signal, cache: "no-store", headers: received > 0 ? { range: `bytes=${received}-` } : {} });
            if (res.status !== (received > 0 ? 206 : 200) || !res.body) throw new HttpStatus(res.status);
            reader = res.body.getReader();
          }
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          received += value.length;
          onBytes(received);
          controller.enqueue(value);
          return;
        } catch (err) {
          reader = undefined;
          if (signal.aborted) throw err;
          const status = err instanceof HttpStatus || err instanceof ClientApiError ? err.status : 0;
          if (status === 404 || status === 409 || status === 410) throw new DownloadError("This document is no longer on the server: ask the sender to send it again.");
          if (++failures >= ATTEMPTS || (status >= 400 && status < 500 && status !== 403 && status !== 408 && status !== 429)) {
            throw new DownloadError(status ? `The store refused the download (${status}). Try again.` : "The download was interrupted. Check your connection and try again.");
          }
          if (status === 403) url = undefined; // expired: ask for a fresh link
          await sleep(500 * 2 ** failures);
        }
      }
    },
    cancel() {
      void reader?.cancel();
    },
  });
}

/** Where a document's presigned download link comes from (a participant's route, or an admin's reading a record). */
export type UrlOf = (consultId: string, fileId: string) => Promise<{ url: string }>;

export type DownloadOptions = {
  consultId: string;
  /** default: the participant's route */
  urlOf?: UrlOf;
  notice: FileNotice;
  sink: WritableStream<Uint8Array>;
  signal: AbortSignal;
  onProgress: (p: DownloadProgress) => void;
};

/** Downloads, decrypts and checks a document into `sink`; rejects (having aborted the sink) on any failure. */
export async function downloadFile(o: DownloadOptions): Promise<void> {
  const { notice } = o;
  const total = encryptedSize(sealedLength(notice), notice.chunkSize);
  const fileId = bytesToUuid(notice.fileId);
  const decrypt = decryptDocumentStream({ key: notice.key, fileId: notice.fileId, consultId: uuidBytes(o.consultId), chunkSize: notice.chunkSize }, notice);
  try {
    await ciphertextOf(o.consultId, fileId, o.signal, (received) => o.onProgress({ received, total }), o.urlOf ?? fileActions.downloadUrl)
      .pipeThrough(decrypt)
      .pipeTo(o.sink, { signal: o.signal });
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw new DownloadError("This document failed its integrity check: it was altered or damaged after it was sent, so it was not saved. Ask the sender to send it again.", true);
    }
    if (o.signal.aborted) throw new DownloadError("The download was cancelled.");
    throw err instanceof DownloadError ? err : new DownloadError(err instanceof Error ? err.message : "The download failed. Try again.");
  }
}

/** Downloads and checks a document into memory (previews of images and PDFs, which are small). */
export async function downloadToBlob(o: Omit<DownloadOptions, "sink">): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  await downloadFile({ ...o, sink: new WritableStream({ write: (c) => void parts.push(c as Uint8Array<ArrayBuffer>) }) });
  return new Blob(parts, { type: o.notice.type || "application/octet-stream" });
}
