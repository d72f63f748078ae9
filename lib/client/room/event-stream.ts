// The browser end of the consult's event stream: one EventSource per room, resuming by itself
// with Last-Event-ID after a drop, opened again (from the last event applied) when the browser
// gives up on it, and at once when the server ends a stream by plan (`reconnect`). Events are
// parsed with the shared schema; anything malformed is ignored rather than trusted.
import { eventKind, streamEvent, type StreamEvent } from "@/lib/shared/api";
import type { Clock, TimerHandle } from "../clock";

export type StreamStatus = "connecting" | "open" | "reconnecting" | "closed";

/** The part of EventSource the stream uses (a fake in unit tests). */
export type EventSourceLike = Pick<EventSource, "addEventListener" | "close" | "readyState"> & {
  onopen: ((ev: Event) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
};
export type OpenEventSource = (url: string) => EventSourceLike;

export const browserEventSource: OpenEventSource = (url) => new EventSource(url);

export type EventStreamOptions = {
  consultId: string;
  /** the newest event the page has applied (the snapshot's) */
  afterSeq: number;
  onEvent(e: StreamEvent): void;
  onStatus(s: StreamStatus): void;
  open: OpenEventSource;
  clock: Clock;
};

const CLOSED = 2; // EventSource.CLOSED, which Node has no global for

export class EventStream {
  private source: EventSourceLike | undefined;
  private timer: TimerHandle;
  private stopped = true;
  private delay = 1_000;
  private seen: number;

  constructor(private readonly o: EventStreamOptions) {
    this.seen = o.afterSeq;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.o.onStatus("connecting");
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
    this.o.onStatus("closed");
  }

  private receive = (msg: MessageEvent<string>): void => {
    let parsed: StreamEvent;
    try {
      parsed = streamEvent.parse(JSON.parse(msg.data));
    } catch {
      return;
    }
    if (parsed.seq <= this.seen) return; // never apply an event twice
    this.seen = parsed.seq;
    this.o.onEvent(parsed);
  };

  // EventSource retries a dropped stream by itself (with Last-Event-ID), but gives up for good
  // after an error answer or a failed first connection: then a new one resumes from the last
  // event applied, a little later each time.
  private connect(): void {
    const s = this.o.open(`/api/consults/${this.o.consultId}/events?after=${this.seen}`);
    this.source = s;
    for (const kind of eventKind.options) s.addEventListener(kind, this.receive as EventListener);
    s.addEventListener("revoked", () => {
      this.stop();
      this.o.onEvent({ seq: this.seen, kind: "admission", type: "revoked", from: null, to: null, payload: {}, at: new Date(this.o.clock.now()).toISOString() });
    });
    // The server ends each stream by plan (its time limit, a restart) and says so first: open the
    // next one now, from the last event applied, without showing "reconnecting".
    s.addEventListener("reconnect", () => {
      if (this.stopped || this.source !== s) return;
      s.close();
      this.connect();
    });
    s.onopen = () => {
      this.delay = 1_000;
      this.o.onStatus("open");
    };
    s.onerror = () => {
      if (this.stopped) return;
      this.o.onStatus("reconnecting");
      if (s.readyState !== CLOSED) return;
      s.close();
      this.timer = this.o.clock.setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10_000);
    };
  }
}
