// The pins one browser profile keeps (IndexedDB's "pins" store), in memory, with the semantics of
// trustFor in lib/client/device-identity.ts: one pin per (our user, counterpart person); a key
// seen first is pinned unverified, the same key is "same", another is "changed" until
// acknowledged; a key compared by call code is remembered verified.
import { checkPin } from "@/lib/crypto";
import type { Trust } from "@/lib/rtc/call-state";

export type Pin = { spki: Uint8Array; verified: boolean };

export class FakePins {
  private readonly pins = new Map<string, Pin>();

  trustFor(myUserId: string, peerUserId: string): Trust {
    const key = `${myUserId}|${peerUserId}`;
    const put = (spki: Uint8Array, verified: boolean) => this.pins.set(key, { spki: new Uint8Array(spki), verified });
    return {
      pin: (peerIdentity) => {
        const result = checkPin(this.pins.get(key)?.spki, peerIdentity);
        if (result === "new") put(peerIdentity, false);
        return Promise.resolve(result);
      },
      acceptChange: (peerIdentity) => {
        put(peerIdentity, false);
        return Promise.resolve();
      },
      isVerified: (peerIdentity) => {
        const pinned = this.pins.get(key);
        return Promise.resolve(!!pinned && pinned.verified && checkPin(pinned.spki, peerIdentity) === "same");
      },
      rememberVerified: (peerIdentity) => {
        put(peerIdentity, true);
        return Promise.resolve();
      },
    };
  }

  /** What is pinned for that counterpart (a copy). */
  pinned(myUserId: string, peerUserId: string): Pin | undefined {
    const p = this.pins.get(`${myUserId}|${peerUserId}`);
    return p && { spki: new Uint8Array(p.spki), verified: p.verified };
  }
}
