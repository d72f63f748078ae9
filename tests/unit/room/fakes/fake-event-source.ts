// The browser's EventSource as lib/client/room/event-stream.ts uses it, driven by the test: it
// opens, delivers events by name (the SSE `event:` field is the event's kind), errors as the
// browser does (readyState CONNECTING while it retries by itself, CLOSED once it gave up), and
// records its URL and whether it was closed. `FakeEventSources` is the factory (OpenEventSource).
import type { EventSourceLike } from "@/lib/client/room/event-stream";
import type { StreamEvent } from "@/lib/shared/api";

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

type Listener = (ev: Event) => unknown;

export class FakeEventSource implements EventSourceLike {
  readyState = CONNECTING;
  onopen: ((ev: Event) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(readonly url: string) {}

  /** The `after=` the stream was opened with. */
  get after(): number {
    return Number(new URL(this.url, "https://parley.test").searchParams.get("after"));
  }

  addEventListener(type: string, listener: EventListenerOrEventListenerObject | ((ev: MessageEvent) => unknown)): void {
    const fn: Listener = typeof listener === "function" ? (ev) => (listener as Listener)(ev) : (ev) => listener.handleEvent(ev);
    this.listeners.set(type, (this.listeners.get(type) ?? new Set()).add(fn));
  }

  close(): void {
    this.closed = true;
    this.readyState = CLOSED;
  }

  // ---- what the server and the browser do ----

  open(): void {
    this.readyState = OPEN;
    this.onopen?.(new Event("open"));
  }

  send(e: StreamEvent): void {
    this.raw(e.kind, JSON.stringify(e));
  }

  raw(type: string, data: string): void {
    if (this.closed) return;
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data }));
  }

  /** The connection broke: the browser retries by itself (`gaveUp` false) or has given up. */
  fail(gaveUp: boolean): void {
    this.readyState = gaveUp ? CLOSED : CONNECTING;
    this.onerror?.(new Event("error"));
  }
}

export class FakeEventSources {
  readonly opened: FakeEventSource[] = [];

  readonly open = (url: string): FakeEventSource => {
    const s = new FakeEventSource(url);
    this.opened.push(s);
    return s;
  };

  get last(): FakeEventSource {
    const s = this.opened.at(-1);
    if (!s) throw new Error("no event source was opened");
    return s;
  }
}
