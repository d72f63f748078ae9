// A sequence whose every next value must come within a time limit. An upload waits for its sealed
// parts this way: sealing one 8 MiB part takes well under a second here, so a source that gives
// nothing for minutes is stuck (a read or an encryption that never returns), and the upload fails
// with an error the person can act on instead of showing the same percentage forever.

/** The next value did not come in time; `message` says what the source was waiting for, if known. */
export class StalledError extends Error {}

/**
 * The values of `items`, failing with StalledError when one takes longer than `ms` to come (only
 * the source's own time counts, not how long the consumer takes between values). `explain` gives
 * the error's message. The stuck source is left as it is: closing an async generator waits for its
 * pending step, which may never end; its owner stops it (spool.ts terminates its worker).
 */
export async function* withinEach<T>(items: AsyncIterable<T>, ms: number, explain: () => Promise<string>): AsyncGenerator<T> {
  const it = items[Symbol.asyncIterator]();
  let stalled = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
      const next = await Promise.race([it.next(), late]).finally(() => clearTimeout(timer));
      if (next === "late") {
        stalled = true;
        throw new StalledError(await explain());
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    if (!stalled) await it.return?.();
  }
}
