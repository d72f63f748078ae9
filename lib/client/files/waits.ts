// What a long-running task is waiting for right now, in words: the sealing worker answers with it
// when the page has had no part for minutes, so the error and the console can say where it hung.

export class Waits {
  private readonly pending = new Map<number, string>();
  private next = 0;

  /** `idle`: what to say when no step is awaited */
  constructor(private readonly idle: string) {}

  /** The steps awaited now, oldest first (steps may overlap: a read under way inside an encryption step). */
  get now(): string {
    return this.pending.size === 0 ? this.idle : [...this.pending.values()].join(" and ");
  }

  /** Awaits `step`, noting meanwhile that the task waits for `what`. */
  async on<T>(what: string, step: Promise<T>): Promise<T> {
    const id = this.next++;
    this.pending.set(id, what);
    try {
      return await step;
    } finally {
      this.pending.delete(id);
    }
  }
}
