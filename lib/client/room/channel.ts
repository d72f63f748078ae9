// A typed link between the room's sessions: one side emits, the others listen (the room hands
// the call its signals, the chat its messages and presence, the files their states).
export class Channel<T> {
  private readonly listeners = new Set<(value: T) => void>();

  emit(value: T): void {
    for (const fn of this.listeners) fn(value);
  }

  listen(fn: (value: T) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }
}
