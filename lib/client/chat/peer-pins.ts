// The pins the chat reads (PROTOCOL §1): every sender's, cached while the verification state
// stands (opening a message must not hit IndexedDB each time), and whether the counterpart's key
// was compared in an earlier call ("verified before" lets the chat send while this call is still
// unverified). Another counterpart forgets that at once, not after an asynchronous read.
import type { Pin } from "../parley-db";

export class PeerPins {
  private cache = new Map<string, Promise<Pin | undefined>>();
  private counterpartVerified = false;
  /** whose pin `verified` was read for */
  private counterpart: string | undefined;
  private reads = 0;

  constructor(
    private readonly read: (peerUserId: string) => Promise<Pin | undefined>,
    private readonly changed: () => void,
  ) {}

  /** The counterpart's key was compared before (call code or safety number) and is pinned. */
  get verified(): boolean {
    return this.counterpartVerified;
  }

  /** A sender's pin, read once until refresh(). */
  of(peerUserId: string): Promise<Pin | undefined> {
    let cached = this.cache.get(peerUserId);
    if (!cached) {
      cached = this.read(peerUserId);
      this.cache.set(peerUserId, cached);
    }
    return cached;
  }

  /** A pin may have been made or verified, or the counterpart changed: read again. */
  refresh(counterpart: string | undefined): void {
    this.cache.clear();
    const read = ++this.reads;
    if (counterpart !== this.counterpart) {
      this.counterpart = counterpart;
      this.counterpartVerified = false;
      this.changed();
    }
    if (!counterpart) return;
    void this.read(counterpart).then((pin) => {
      if (read !== this.reads) return;
      this.counterpartVerified = !!pin?.verified;
      this.changed();
    });
  }
}
