// A file read in pieces for sealing (lib/client/files/read-pieces.ts): exact pieces whatever the
// reads deliver, with a BYOB reader into one reused buffer or, where a stream has none, the
// default reader; a file that changed size while being read is refused.
import { describe, expect, it } from "vitest";
import { FileChangedError, READ_REOPENS, readPieces, ReadStalledError } from "@/lib/client/files/read-pieces";

const SIZE = 1024;
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 255);

/** A byte stream (BYOB) answering each read with at most `step` bytes. */
function byteStream(data: Uint8Array, step: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      const req = c.byobRequest;
      if (!req?.view) throw new Error("expected a BYOB read");
      if (at >= data.length) {
        c.close();
        req.respond(0);
        return;
      }
      const view = new Uint8Array(req.view.buffer, req.view.byteOffset, req.view.byteLength);
      const n = Math.min(step, view.length, data.length - at);
      view.set(data.subarray(at, at + n));
      at += n;
      req.respond(n);
    },
  });
}

/** A stream with the default reader only, in reads of `step` bytes. */
function plainStream(data: Uint8Array, step: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= data.length) return c.close();
      c.enqueue(data.slice(at, at + step));
      at += step;
    },
  });
}

async function read(file: { size: number; stream: () => ReadableStream<Uint8Array>; slice?: (start: number) => unknown }, options = {}) {
  const pieces: { bytes: Uint8Array; last: boolean; buffer: ArrayBufferLike }[] = [];
  for await (const { piece, last } of readPieces(file as Blob, SIZE, options)) pieces.push({ bytes: piece.slice(), last, buffer: piece.buffer });
  return pieces;
}

const joined = (pieces: { bytes: Uint8Array }[]) => {
  const all = new Uint8Array(pieces.reduce((a, p) => a + p.bytes.length, 0));
  let at = 0;
  for (const p of pieces) {
    all.set(p.bytes, at);
    at += p.bytes.length;
  }
  return all;
};

const kinds = [
  ["BYOB, small reads", (d: Uint8Array) => byteStream(d, 100)],
  ["BYOB, whole reads", (d: Uint8Array) => byteStream(d, 1 << 20)],
  ["default reader, small reads", (d: Uint8Array) => plainStream(d, 100)],
  ["default reader, reads of several pieces", (d: Uint8Array) => plainStream(d, 3 * SIZE + 17)],
  ["a Blob", (d: Uint8Array) => new Blob([d as Uint8Array<ArrayBuffer>]).stream()],
] as const;

describe.each(kinds)("reading pieces: %s", (_, streamOf) => {
  it.each([0, 1, SIZE - 1, SIZE, SIZE + 1, 5 * SIZE + 3])("%i bytes: exact pieces, the last marked, the bytes unchanged", async (n) => {
    const data = bytes(n);
    const pieces = await read({ size: n, stream: () => streamOf(data) });
    expect(pieces.length).toBe(n === 0 ? 1 : Math.ceil(n / SIZE));
    expect(pieces.map((p) => p.last)).toEqual(pieces.map((_, i) => i === pieces.length - 1));
    pieces.slice(0, -1).forEach((p) => expect(p.bytes.length).toBe(SIZE));
    expect(joined(pieces)).toEqual(data);
  });

  it("refuses a file that shrank or grew since it was chosen", async () => {
    const data = bytes(3 * SIZE);
    await expect(read({ size: 3 * SIZE + 5, stream: () => streamOf(data) })).rejects.toBeInstanceOf(FileChangedError);
    await expect(read({ size: 3 * SIZE - 5, stream: () => streamOf(data) })).rejects.toBeInstanceOf(FileChangedError);
    await expect(read({ size: 2 * SIZE, stream: () => streamOf(data) })).rejects.toBeInstanceOf(FileChangedError);
  });
});

describe("reading pieces with a BYOB reader", () => {
  it("fills one buffer again for every piece rather than allocating new ones", async () => {
    const pieces = await read({ size: 4 * SIZE, stream: () => byteStream(bytes(4 * SIZE), 300) });
    // A BYOB read transfers the buffer: the earlier pieces' buffers are detached (length 0).
    expect(pieces.slice(0, -1).every((p) => p.buffer.byteLength === 0)).toBe(true);
    expect(pieces.at(-1)?.buffer.byteLength).toBe(SIZE);
  });
});

/**
 * A file whose streams answer no read once `stallAfter(n)` bytes have been given (n: how many
 * streams were opened before), as Chromium's Blob streams were seen to under load.
 */
function stallingFile(data: Uint8Array, stallAfter: (opened: number) => number) {
  let opened = 0;
  const from = (start: number) => ({
    size: data.length - start,
    stream: () => {
      let given = 0;
      const limit = stallAfter(opened++);
      return new ReadableStream({
        type: "bytes",
        pull: async (c) => {
          if (given >= limit) await new Promise<void>(() => undefined);
          if (start + given >= data.length) {
            c.close();
            c.byobRequest?.respond(0); // a BYOB read waiting at the end is answered empty
            return;
          }
          const n = Math.min(100, limit - given, data.length - start - given);
          c.enqueue(data.slice(start + given, start + given + n));
          given += n;
        },
      });
    },
    slice: (s: number) => from(start + s),
  });
  return from(0);
}

describe("reading pieces when a read is never answered", () => {
  it("opens the file again where the stuck piece began and goes on, the bytes unchanged", async () => {
    const data = bytes(5 * SIZE + 3);
    const reopened: number[] = [];
    const pieces = await read(
      stallingFile(data, (opened) => (opened === 0 ? 3 * SIZE + 10 : Infinity)),
      { stallMs: 20, onReopen: (at: number) => reopened.push(at) },
    );
    expect(reopened).toEqual([3 * SIZE]);
    expect(pieces.length).toBe(6);
    expect(joined(pieces)).toEqual(data);
  });

  it(`gives up with ReadStalledError after ${READ_REOPENS} reopenings that stall too`, async () => {
    const reopened: number[] = [];
    await expect(
      read(
        stallingFile(bytes(5 * SIZE), () => SIZE + 1),
        { stallMs: 20, onReopen: (at: number) => reopened.push(at) },
      ),
    ).rejects.toBeInstanceOf(ReadStalledError);
    expect(reopened).toEqual([SIZE, 2 * SIZE, 3 * SIZE]);
  });
});
