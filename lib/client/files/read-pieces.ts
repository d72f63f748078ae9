"use client";
// A file read in pieces of exactly `size` bytes (the last one shorter, an empty file one empty
// piece), each marked whether it is the last, as lib/crypto's FileSealer wants them.
//
// With a BYOB ("bring your own buffer") reader the browser reads the file straight into one buffer
// that is filled again for every piece: nothing new is allocated per read. The default reader
// hands over a fresh buffer per read, and the first touch of fresh memory costs many times a copy
// into warm memory (the measurements: docs/bench-log/2026-12-05-documents-2-second-pass.md).
// Browsers whose Blob streams have no BYOB reader get the default one, cut into the same reused
// buffer.

import { LATE, within } from "./within-each";

export type Piece = { piece: Uint8Array; last: boolean };

/** Thrown when the file is not the size it was when chosen (it changed on disk meanwhile). */
export class FileChangedError extends Error {
  constructor() {
    super("The file changed while it was being read. Choose it again.");
  }
}

/** Something that fills a buffer from the file as far as the file goes. */
type Filler = {
  /** fills `into` (a view at offset 0); answers how many bytes it holds and the view to use now */
  fill: (into: Uint8Array<ArrayBuffer>) => Promise<{ filled: number; view: Uint8Array<ArrayBuffer> }>;
  cancel: () => Promise<void>;
};

/** BYOB: a read transfers the buffer it is given and answers with a view of the same memory. */
function byobFiller(reader: ReadableStreamBYOBReader): Filler {
  return {
    fill: async (into) => {
      const length = into.length; // the read detaches `into`
      let view = into;
      let filled = 0;
      while (filled < length) {
        const { done, value } = await reader.read(view.subarray(filled));
        if (!value) throw new Error("The browser's file reader gave no buffer back.");
        view = new Uint8Array(value.buffer, 0, length);
        if (done) break;
        filled += value.length;
      }
      return { filled, view };
    },
    cancel: () => reader.cancel(),
  };
}

/** The default reader: its reads are copied into the buffer, what is left kept for the next piece. */
function copyFiller(reader: ReadableStreamDefaultReader<Uint8Array>): Filler {
  let rest: Uint8Array | undefined;
  return {
    fill: async (into) => {
      let filled = 0;
      while (filled < into.length) {
        if (!rest || rest.length === 0) {
          const { done, value } = await reader.read();
          if (done) break;
          rest = value;
          continue;
        }
        const n = Math.min(rest.length, into.length - filled);
        into.set(rest.subarray(0, n), filled);
        rest = rest.subarray(n);
        filled += n;
      }
      return { filled, view: into };
    },
    cancel: () => reader.cancel(),
  };
}

function fillerOf(stream: ReadableStream<Uint8Array>): Filler {
  try {
    return byobFiller(stream.getReader({ mode: "byob" }));
  } catch {
    return copyFiller(stream.getReader()); // not a byte stream in this browser
  }
}

/** How long one read may take before the file is opened again where it stopped. */
export const READ_STALL_MS = 15_000;
/** How many times a file is opened again before reading it is given up. */
export const READ_REOPENS = 3;

/** Reading the file stopped: every read, even from a freshly opened file, was left unanswered. */
export class ReadStalledError extends Error {
  constructor() {
    super("The browser stopped reading the file. Send it again; if it stops again, copy the file to this device first and choose the copy.");
  }
}

export type ReadOptions = {
  /** see READ_STALL_MS */
  stallMs?: number;
  /** called when a read was left unanswered and the file is opened again from `offset` */
  onReopen?: (offset: number) => void;
};

/** What is logged when the file is opened again. */
export const reopenWarning = (offset: number) => `[parley] reading the file stalled for ${READ_STALL_MS / 1000} s; opened it again at byte ${offset}`;

/**
 * The pieces of `file`. A piece is a view of a buffer that is filled again when the next one is
 * asked for: use (or copy) it before that. The file must keep the size it had when chosen.
 *
 * A read that is not answered within `stallMs` is left behind and the file opened again where the
 * piece began (Chromium 156 was seen to leave a Blob stream's read unanswered for good, under
 * load: docs/bench-log/2026-12-05-documents-4-fourth-pass.md); after READ_REOPENS such reopenings it fails with ReadStalledError.
 */
export async function* readPieces(file: Pick<Blob, "size" | "stream" | "slice">, size: number, o: ReadOptions = {}): AsyncGenerator<Piece> {
  const stallMs = o.stallMs ?? READ_STALL_MS;
  const expected = file.size;
  const count = expected === 0 ? 1 : Math.ceil(expected / size);
  let reader = fillerOf(file.stream());
  let reopens = 0;
  /** fills `into` with the file's bytes from `offset`, opening the file again if a read stalls */
  const fill = async (into: Uint8Array<ArrayBuffer>, offset: number, capacity: number) => {
    const length = into.length; // a BYOB read detaches `into`
    for (;;) {
      const result = await within(reader.fill(into), stallMs);
      if (result !== LATE) return result;
      if (++reopens > READ_REOPENS) throw new ReadStalledError();
      void reader.cancel().catch(() => undefined); // may never answer either
      o.onReopen?.(offset);
      reader = fillerOf(file.slice(offset).stream());
      into = new Uint8Array(capacity).subarray(0, length); // the stuck read holds the old memory
    }
  };
  let buffer = new Uint8Array(size);
  try {
    for (let i = 0; i < count; i++) {
      const last = i === count - 1;
      const want = last ? expected - i * size : size;
      const { filled, view } = await fill(buffer.subarray(0, want), i * size, size);
      buffer = new Uint8Array(view.buffer, 0, size);
      if (filled !== want) throw new FileChangedError();
      yield { piece: view, last };
    }
    if ((await fill(new Uint8Array(1), expected, 1)).filled !== 0) throw new FileChangedError();
  } finally {
    void reader.cancel().catch(() => undefined); // not awaited: a stuck stream may never answer
  }
}
