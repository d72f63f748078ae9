// Server-Sent Events framing, as the event stream writes it: blocks separated by a blank line,
// `field: value` lines, `: comment` lines. No test-runner imports, so vitest, Playwright specs and
// the benchmark can all use it.
export type Frame = {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  /** `: text` lines */
  comments: string[];
};

export function parseFrame(block: string): Frame {
  const frame: Frame = { comments: [] };
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const i = line.indexOf(":");
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "id" || field === "event" || field === "retry") frame[field] = value;
    else if (field === "data") frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame;
}

/** Splits a growing text buffer into complete frames; returns them and the unfinished rest. */
export function splitFrames(buffer: string): { frames: Frame[]; rest: string } {
  const blocks = buffer.split("\n\n");
  const rest = blocks.pop() ?? "";
  return { frames: blocks.filter((b) => b.length > 0).map(parseFrame), rest };
}

/** Yields frames from an SSE body as they arrive. */
export async function* readFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const split = splitFrames(buffer + decoder.decode(value, { stream: true }));
      buffer = split.rest;
      yield* split.frames;
    }
  } finally {
    reader.releaseLock();
  }
}
