// Posts this device's outbox (sealed messages in IndexedDB) to the server in order, the same bytes
// on every retry until the server has them: offline or a busy server backs off (1 s, doubling to
// 8 s); a refusal marks the message failed for the person to retry.
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
  private retryTimer: TimerHandle;
  private backoff = 1_000;
  private disposed = false;

  constructor(private readonly port: OutboxPort) {}

  async flush(): Promise<void> {
    if (this.disposed) return;
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    this.again = false;
    this.port.clock.clearTimeout(this.retryTimer);
    let waiting = false;
    try {
      for (const entry of await this.port.entries()) {
        if (entry.failed) continue;
        try {
          await this.port.post(entry);
          chatMark("posted");
          await this.port.sent(entry);
          this.backoff = 1_000;
        } catch (err) {
          const status = err instanceof ClientApiError ? err.status : 0;
          if (status === 0 || status === 408 || status === 429 || status >= 500) {
            // Offline or the server is busy: the same bytes go again later (or when back online).
            this.retryTimer = this.port.clock.setTimeout(() => void this.flush(), this.backoff);
            this.backoff = Math.min(this.backoff * 2, 8_000);
            waiting = true;
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
    if (this.again && !waiting) void this.flush();
  }

  dispose(): void {
    this.disposed = true;
    this.port.clock.clearTimeout(this.retryTimer);
  }
}
