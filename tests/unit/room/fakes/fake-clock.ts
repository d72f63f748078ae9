// A Clock (lib/client/clock.ts) that only moves when a test says so: advance(ms) runs the timers
// that fall due, in order of their due time (then of their creation), with now() at each one's
// time; intervals repeat. Timers at the current time run on advance(0).
import type { Clock, TimerHandle } from "@/lib/client/clock";

type Timer = { id: number; at: number; fn: () => void; every?: number };

export class FakeClock implements Clock {
  private t: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add({ fn, at: this.t + Math.max(0, ms) });
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === "number") this.timers.delete(handle);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.add({ fn, at: this.t + every, every });
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Moves time on by `ms`, running every timer that falls due on the way; returns how many ran. */
  advance(ms: number): number {
    if (ms < 0) throw new Error("time only moves forward");
    const end = this.t + ms;
    let ran = 0;
    for (let next = this.due(end); next; next = this.due(end)) {
      this.t = next.at;
      if (next.every === undefined) this.timers.delete(next.id);
      else next.at += next.every;
      ran++;
      next.fn();
    }
    this.t = end;
    return ran;
  }

  /** Timers waiting (one-shot and repeating). */
  get pending(): number {
    return this.timers.size;
  }

  /** A timer is due at the current time (advance(0) would run it). */
  get hasDue(): boolean {
    return this.due(this.t) !== undefined;
  }

  private add(t: Omit<Timer, "id">): number {
    const id = this.nextId++;
    this.timers.set(id, { id, ...t });
    return id;
  }

  private due(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) if (t.at <= end && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    return best;
  }
}
