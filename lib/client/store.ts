// A value that changes, for React's useSyncExternalStore: the room's sessions (chat, call, files,
// the room itself) publish an immutable snapshot and tell their subscribers; React reads it.
export class Published<T> {
  private readonly listeners = new Set<() => void>();

  constructor(private value: T) {}

  /** The current snapshot (the same object until the next publish). */
  readonly get = (): T => this.value;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  publish(value: T): void {
    this.value = value;
    for (const l of this.listeners) l();
  }
}
