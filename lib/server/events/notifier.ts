import "server-only";
// Wakes the event streams of a consult when its log grows. In-process by default; with a real
// PostgreSQL, also LISTEN/NOTIFY so streams on other app instances wake too.
//
// The log stays the only source of truth: a wake-up from this process also carries the rows it
// has just committed (exactly as they were stored), so a stream whose cursor is right below them
// writes them without reading the log again; any other stream, and every wake-up from another
// instance, reads the log. A lost wake-up costs at most one poll interval.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import pg from "pg";
import type { StreamEvent } from "@/lib/shared/api";
import { errField, getLog } from "../log";

const CHANNEL = "parley_events";

/** Called on a wake-up; `events` are rows this process just committed, in seq order, when known. */
export type WakeListener = (events: readonly StreamEvent[] | undefined) => void;

class Notifier {
  private local = new EventEmitter();
  private listener: Promise<pg.Client | undefined> | undefined;
  private notifyUrl: string | undefined;
  /** NOTIFY payloads are `<instance>:<consultId>`: this instance ignores its own, already delivered. */
  readonly instance = randomUUID();

  constructor() {
    this.local.setMaxListeners(0);
  }

  /**
   * Call once with the database URL to enable cross-instance wake-ups (no-op on the embedded
   * default): writers NOTIFY, and (unless `listen` is false, for tests) a connection LISTENs.
   */
  useDatabase(url: string | undefined, listen = true): void {
    if (!url || this.listener) return;
    this.notifyUrl = url;
    if (!listen) return;
    this.listener = (async () => {
      const client = new pg.Client({ connectionString: url });
      client.on("error", (err) => {
        getLog().warn({ err: errField(err) }, "LISTEN connection lost; streams fall back to polling");
        this.listener = undefined;
      });
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      client.on("notification", (n) => {
        const from = parseNotification(n.payload);
        if (from && from.instance !== this.instance) this.local.emit(from.consultId, undefined);
      });
      return client;
    })().catch((err: Error) => {
      getLog().warn({ err: errField(err) }, "LISTEN unavailable; streams rely on polling");
      return undefined;
    });
  }

  /** Whether other instances are to be told (a real PostgreSQL): then writers NOTIFY `notifyPayload`. */
  get crossInstance(): boolean {
    return this.notifyUrl !== undefined;
  }

  readonly channel = CHANNEL;

  notifyPayload(consultId: string): string {
    return `${this.instance}:${consultId}`;
  }

  /**
   * After a commit: wake local streams now (with the committed rows, when given), remote ones
   * through NOTIFY unless the writer already sent it inside its statement (`notify` omitted).
   */
  async publish(consultId: string, events?: readonly StreamEvent[], notify?: (channel: string, payload: string) => Promise<unknown>): Promise<void> {
    this.local.emit(consultId, events);
    if (this.notifyUrl && notify) {
      await notify(CHANNEL, this.notifyPayload(consultId)).catch(() => undefined);
    }
  }

  /** Ends the LISTEN connection (at shutdown); wake-ups from other instances stop. */
  async close(): Promise<void> {
    const client = await this.listener;
    this.listener = undefined;
    await client?.end().catch(() => undefined);
  }

  subscribe(consultId: string, fn: WakeListener): () => void {
    this.local.on(consultId, fn);
    return () => this.local.off(consultId, fn);
  }
}

/** `<instance>:<consultId>`, or a bare consult id (an instance of an older version). */
export function parseNotification(payload: string | undefined): { instance: string | undefined; consultId: string } | undefined {
  if (!payload) return undefined;
  const i = payload.indexOf(":");
  return i === -1 ? { instance: undefined, consultId: payload } : { instance: payload.slice(0, i), consultId: payload.slice(i + 1) };
}

const g = globalThis as { __parleyNotifier?: Notifier };
export function getNotifier(): Notifier {
  g.__parleyNotifier ??= new Notifier();
  return g.__parleyNotifier;
}
