// A sequence whose every next value must come within a time limit. An upload waits for its sealed
// parts this way: sealing one 8 MiB part is a matter of moments, so a source that gives
// nothing for minutes is stuck (a read or an encryption that never returns), and the upload fails
// with an error the person can act on instead of showing the same percentage forever.

/** What `within` answers for a step that did not end in time. */
export const LATE = Symbol("late");

/** `step`'s value, or LATE if it has not come within `ms` (the step itself is left as it is). */
export async function within<T>(step: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), ms)));
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

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
      const next = await within(it.next(), ms);
      if (next === LATE) {
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
