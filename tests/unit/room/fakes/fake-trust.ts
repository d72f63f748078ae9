// The pins one browser profile keeps (IndexedDB's "pins" store), in memory, behind the real trust
// rules of lib/client/trust.ts: a pin per (our user, counterpart person) and per (consult, role).
import type { Trust } from "@/lib/rtc/call-state";
import { personPinKey, trustWith, type PinRecord, type PinStore, type Seat } from "@/lib/client/trust";

export type Pin = PinRecord;

export class FakePins implements PinStore {
  private readonly pins = new Map<string, PinRecord>();

  get(key: string): Promise<PinRecord | undefined> {
    const p = this.pins.get(key);
    return Promise.resolve(p && { ...p, spki: new Uint8Array(p.spki) });
  }

  put(key: string, pin: PinRecord): Promise<void> {
    this.pins.set(key, { ...pin, spki: new Uint8Array(pin.spki) });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.pins.delete(key);
    return Promise.resolve();
  }

  trustFor(myUserId: string, peerUserId: string, seat: Seat): Trust {
    return trustWith(this, myUserId, peerUserId, seat);
  }

  /** What is pinned for that counterpart person (a copy). */
  pinned(myUserId: string, peerUserId: string): Pin | undefined {
    const p = this.pins.get(personPinKey(myUserId, peerUserId));
    return p && { spki: new Uint8Array(p.spki), verified: p.verified };
  }
}
