// Reads a Server-Sent Events byte stream (as openEventStream returns it) frame by frame, with timeouts.
import { expect } from "vitest";

import { streamEvent, type StreamEvent } from "@/lib/shared/api";
import { parseFrame, type Frame } from "./sse-frames";

export { parseFrame, type Frame };

/** The event of a frame that carries one, checked against the shared schema and its `id:`. */
export function eventOf(frame: Frame): StreamEvent | undefined {
  if (frame.data === undefined || frame.id === undefined) return undefined;
  const e = streamEvent.parse(JSON.parse(frame.data));
  expect(frame.id, "the SSE id: is the event's seq").toBe(String(e.seq));
  expect(frame.event, "the SSE event: is the event's kind").toBe(e.kind);
  return e;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  done = false;
  /** every frame read so far */
  readonly frames: Frame[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** The next frame; undefined once the stream has ended; throws after `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end !== -1) {
        const frame = parseFrame(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
        this.frames.push(frame);
        return frame;
      }
      if (this.done) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SSE frame within ${timeoutMs} ms`);
      // A read that lost the race stays pending and is picked up by the next call.
      this.pending ??= this.reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), left);
      });
      const r = await Promise.race([this.pending, timeout]);
      clearTimeout(timer);
      if (r === "timeout") continue;
      this.pending = undefined;
      if (r.done) this.done = true;
      else this.buffer += this.decoder.decode(r.value, { stream: true });
    }
  }

  /** Frames up to and including the first that matches; throws if the stream ends or times out first. */
  async until(match: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: Frame[] = [];
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (!f) throw new Error(`stream ended before the expected frame; got ${JSON.stringify(seen)}`);
      seen.push(f);
      if (match(f)) return seen;
    }
  }

  /** Reads to the end of the stream. */
  async drain(timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    const rest: Frame[] = [];
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (!f) return rest;
      rest.push(f);
    }
  }
}
