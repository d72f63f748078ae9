import "server-only";
// Wakes the event streams of a consult when its log grows. It carries no data: streams read the
// log itself, so a lost wake-up costs at most one poll interval. In-process by default; with a
// real PostgreSQL, also LISTEN/NOTIFY so streams on other app instances wake too.
import { EventEmitter } from "node:events";
import pg from "pg";

const CHANNEL = "parley_events";

class Notifier {
  private local = new EventEmitter();
  private listener: Promise<pg.Client | undefined> | undefined;
  private notifyUrl: string | undefined;

  constructor() {
    this.local.setMaxListeners(0);
  }

  /** Call once with the database URL to enable cross-instance wake-ups (no-op on the embedded default). */
  useDatabase(url: string | undefined): void {
    if (!url || this.listener) return;
    this.notifyUrl = url;
    this.listener = (async () => {
      const client = new pg.Client({ connectionString: url });
      client.on("error", (err) => {
        console.warn("[parley] LISTEN connection lost; streams fall back to polling:", err.message);
        this.listener = undefined;
      });
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      client.on("notification", (n) => {
        if (n.payload) this.local.emit(n.payload);
      });
      return client;
    })().catch((err: Error) => {
      console.warn("[parley] LISTEN unavailable; streams rely on polling:", err.message);
      return undefined;
    });
  }

  /** After a commit: wake local streams now, remote ones through NOTIFY. */
  async publish(consultId: string, notify?: (channel: string, payload: string) => Promise<unknown>): Promise<void> {
    this.local.emit(consultId);
    if (this.notifyUrl && notify) {
      await notify(CHANNEL, consultId).catch(() => undefined);
    }
  }

  subscribe(consultId: string, fn: () => void): () => void {
    this.local.on(consultId, fn);
    return () => this.local.off(consultId, fn);
  }
}

const g = globalThis as { __parleyNotifier?: Notifier };
export function getNotifier(): Notifier {
  g.__parleyNotifier ??= new Notifier();
  return g.__parleyNotifier;
}
