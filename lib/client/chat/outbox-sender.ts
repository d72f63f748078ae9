// Posts this device's outbox (sealed messages in IndexedDB) to the server in order, the same bytes
// on every retry until the server has them: offline or a busy server backs off (1 s, doubling to
// 8 s); a refusal marks the message failed for the person to retry. A message this page has just
// sealed is handed in (`push`) and posted at once; the stored outbox is read again only when that
// is needed (the first time, after a failure, a retry, the network back).
import { ClientApiError } from "../api";
import type { OutboxEntry } from "../parley-db";
import type { Clock, TimerHandle } from "../clock";
import { chatMark } from "./chat-timeline";

export type OutboxPort = {
  clock: Clock;
  entries(): Promise<OutboxEntry[]>;
  post(entry: OutboxEntry): Promise<unknown>;
  sent(entry: OutboxEntry): Promise<void>;
  refused(entry: OutboxEntry, why: string): Promise<void>;
  /** something changed: show it */
  changed(): void;
};

export class OutboxSender {
  private flushing = false;
  /** a flush was asked for while one ran: it may not have seen the newest entries, so run again */
  private again = false;
  /** the next run reads the stored outbox (what a reload, another tab or a failed attempt left there) */
  private readStored = true;
  /** entries sealed by this page since the last run began, in seal order */
  private fresh: OutboxEntry[] = [];
  /** a retry is scheduled: the server or the network is away */
  private backingOff = false;
  private retryTimer: TimerHandle;
  private backoff = 1_000;
  private disposed = false;

  constructor(private readonly port: OutboxPort) {}

  /** Posts everything stored in the outbox (after a reload, a retry, the network back). */
  flush(): Promise<void> {
    this.readStored = true;
    return this.run();
  }

  /** An entry this page has just sealed into the outbox: posted at once, after any still waiting before it. */
  push(entry: OutboxEntry): Promise<void> {
    this.fresh.push(entry);
    return this.run();
  }

  private async run(): Promise<void> {
    if (this.disposed) return;
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    this.again = false;
    this.backingOff = false;
    this.port.clock.clearTimeout(this.retryTimer);
    try {
      for (const entry of await this.batch()) {
        if (entry.failed) continue;
        try {
          chatMark("post");
          await this.port.post(entry);
          chatMark("posted");
          await this.port.sent(entry);
          this.backoff = 1_000;
        } catch (err) {
          const status = err instanceof ClientApiError ? err.status : 0;
          if (status === 0 || status === 408 || status === 429 || status >= 500) {
            // Offline or the server is busy: the same bytes go again later (or when back online),
            // with everything after them, read from the outbox then.
            this.retryTimer = this.port.clock.setTimeout(() => void this.flush(), this.backoff);
            this.backoff = Math.min(this.backoff * 2, 8_000);
            this.backingOff = true;
            this.readStored = true; // so that a message sealed meanwhile never overtakes this one
            break;
          }
          await this.port.refused(entry, err instanceof Error ? err.message : "The server refused this message.");
        }
        this.port.changed();
      }
    } finally {
      this.flushing = false;
      this.port.changed();
    }
    if (!this.backingOff && (this.again || this.fresh.length > 0)) void this.run();
  }

  /** What this run posts, in seq order: the stored outbox when it must be read, and what was sealed here since. */
  private async batch(): Promise<OutboxEntry[]> {
    const readStored = this.readStored;
    this.readStored = false;
    const stored = readStored ? await this.port.entries() : [];
    const fresh = this.fresh;
    this.fresh = [];
    const seen = new Set(stored.map((e) => e.id));
    return [...stored, ...fresh.filter((e) => !seen.has(e.id))].sort((a, b) => a.seq - b.seq);
  }

  dispose(): void {
    this.disposed = true;
    this.port.clock.clearTimeout(this.retryTimer);
  }
}
