// The consult's signaling log between the doctor's and the patient's device, as lib/client/use-call.ts
// uses the server's: a CallMessage goes out as a signal (toSignal, JSON) that the server appends to
// one totally ordered log, and reaches the other side's page as JSON parsed by parseCallMessage.
// A page sees only what was posted after it opened (the app reads no history on join). Delivery
// is by settle() (everything) or by hand (one at a time, per side); a side can be offline (its
// sends fail, what arrives for it waits), entries can be lost, and the server can rewrite them.
import { parseCallMessage, toSignal, type CallMessage } from "@/lib/rtc/messages";

export type Side = "doctor" | "patient";
export const otherSide = (s: Side): Side => (s === "doctor" ? "patient" : "doctor");

/** A signal as the server keeps it. */
export type Signal = { type: string; payload: Record<string, unknown> };
export type LogEntry = { seq: number; at: number; from: Side; type: string; json: string; lost: boolean };

type Page = { receive(msg: CallMessage): void };

export class FakeLog {
  readonly entries: LogEntry[] = [];
  /** settle() delivers all it can; false: the test delivers by hand */
  auto = true;
  /** the server rewrites a signal as it stores it (undefined: it drops it) */
  rewrite: ((signal: Signal, from: Side) => Signal | undefined) | undefined;
  /** entries a page got that parseCallMessage refused */
  readonly refused: LogEntry[] = [];
  delivered = 0;
  private readonly pages = new Map<Side, Page>();
  private readonly cursor = new Map<Side, number>();
  private readonly away = new Set<Side>();

  constructor(private readonly now: () => number = () => 0) {}

  /** CallOptions.send for a page of `side`. */
  sender(side: Side): (msg: CallMessage) => Promise<void> {
    return (msg) => {
      if (this.away.has(side)) return Promise.reject(new Error(`${side} is offline`));
      this.post(side, msg);
      return Promise.resolve();
    };
  }

  /** The server appends a signal from `from` (also what a forging server would do). */
  post(from: Side, msg: CallMessage | Signal): void {
    const signal = JSON.parse(JSON.stringify("payload" in msg ? msg : toSignal(msg))) as Signal;
    const stored = this.rewrite ? this.rewrite(signal, from) : signal;
    if (stored) this.entries.push({ seq: this.entries.length, at: this.now(), from, type: stored.type, json: JSON.stringify(stored.payload), lost: false });
  }

  /** A page of `side` opens: it gets what is posted from now on. */
  open(side: Side, page: Page): void {
    this.pages.set(side, page);
    this.cursor.set(side, this.entries.length);
  }

  /** `side`'s network is gone: its sends fail, signals for it wait (its event stream resumes later). */
  offline(side: Side): void {
    this.away.add(side);
  }

  online(side: Side): void {
    this.away.delete(side);
  }

  /** Entries for `side`'s page that it has not been given. */
  pendingFor(side: Side): LogEntry[] {
    if (!this.pages.has(side)) return [];
    return this.entries.slice(this.cursor.get(side) ?? 0).filter((e) => e.from !== side && !e.lost);
  }

  /** Gives `side`'s page its next signal; false when there is none (or it is offline). */
  deliverNext(side: Side): boolean {
    const page = this.pages.get(side);
    if (!page || this.away.has(side)) return false;
    for (let i = this.cursor.get(side) ?? 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e || e.from === side || e.lost) continue;
      this.cursor.set(side, i + 1);
      this.delivered++;
      const msg = parseCallMessage(e.type, JSON.parse(e.json));
      if (msg) page.receive(msg);
      else this.refused.push(e);
      return true;
    }
    this.cursor.set(side, this.entries.length);
    return false;
  }

  /** Gives each side everything waiting for it; returns how many. */
  deliverAll(): number {
    let n = 0;
    for (let again = true; again;) {
      again = false;
      for (const side of ["doctor", "patient"] as const) {
        while (this.deliverNext(side)) {
          n++;
          again = true;
        }
      }
    }
    return n;
  }

  /** Entries not yet given to their side are lost on the way. */
  lose(which: (e: LogEntry, msg: CallMessage | undefined) => boolean): void {
    for (const e of this.entries) if (which(e, parseCallMessage(e.type, JSON.parse(e.json)))) e.lost = true;
  }

  /** The log as call messages (what the server stored), oldest first. */
  messages(from?: Side): (CallMessage & { from: Side; at: number })[] {
    const out: (CallMessage & { from: Side; at: number })[] = [];
    for (const e of this.entries) {
      const msg = parseCallMessage(e.type, JSON.parse(e.json));
      if (msg && (from === undefined || e.from === from)) out.push({ ...msg, from: e.from, at: e.at });
    }
    return out;
  }

  /** The messages of one type, oldest first. */
  ofType<T extends CallMessage["type"]>(type: T, from?: Side): (Extract<CallMessage, { type: T }> & { from: Side; at: number })[] {
    return this.messages(from).filter((m) => m.type === type) as (Extract<CallMessage, { type: T }> & { from: Side; at: number })[];
  }
}
