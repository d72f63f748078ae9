import "server-only";
// The end of a server process (SIGTERM from an orchestrator, a deploy, Ctrl-C): scripts/serve.ts
// stops taking connections and calls shutdown(), registered here by boot(). Open event streams
// are told to reconnect — to another instance behind the load balancer, or to this one when it is
// back — and end; then the database closes, which writes an embedded PGlite's state to DATA_DIR.

type Lifecycle = { drain: AbortController; streams: number; idle: (() => void) | undefined };

const g = globalThis as { __parleyLifecycle?: Lifecycle; __parleyShutdown?: () => Promise<void> };

function lifecycle(): Lifecycle {
  g.__parleyLifecycle ??= { drain: new AbortController(), streams: 0, idle: undefined };
  return g.__parleyLifecycle;
}

/** Aborted once the process is shutting down: event streams end at once, asking to reconnect. */
export function drainSignal(): AbortSignal {
  return lifecycle().drain.signal;
}

/** Counts an open event stream; call the returned function once when it has ended. */
export function streamOpened(): () => void {
  const l = lifecycle();
  l.streams++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    l.streams--;
    if (l.streams === 0) l.idle?.();
  };
}

/** Drains the streams (waiting at most `waitMs` for them to end), then runs `close`. */
export async function drainThenClose(close: () => Promise<void>, waitMs = 5_000): Promise<void> {
  const l = lifecycle();
  l.drain.abort();
  if (l.streams > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      l.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  await close();
}

/** What scripts/serve.ts calls on SIGTERM or SIGINT (through globalThis: it is bundled apart). */
export function onShutdown(fn: () => Promise<void>): void {
  g.__parleyShutdown = fn;
}
