// The pins behind a call's trust (lib/rtc/call-state.ts `Trust`, PROTOCOL §3): what this device
// remembers about the identity keys it has met. Two pins answer for one counterpart:
// - the person's, keyed by the server's user id for them (a key compared once stays verified);
// - the seat's, keyed by (consult, role): within one consult the doctor's or the patient's seat
//   keeps the key it had, whatever user id the server attaches to a new key. A server that swaps
//   in a new "person" for the same seat still makes the room warn.
// And where the patient's invite link carried one, the doctor seat's anchor (PROTOCOL §6): the
// first 16 bytes of the doctor's identity fingerprint, from outside the server. A doctor key that
// does not match it is a changed key from the first call on, until acknowledged or compared.
// Framework-free: the store is passed in (IndexedDB in the browser, a Map in unit tests).
import { checkPin, doctorAnchor, equal } from "@/lib/crypto";
import type { Trust } from "@/lib/rtc/call-state";

export type PinRecord = {
  spki: Uint8Array;
  verified: boolean;
  /** pinned by acknowledging a changed key: never trusted on first use, only once compared */
  acknowledged?: boolean;
};

/** Where pins live, by key. */
export type PinStore = {
  get(key: string): Promise<PinRecord | undefined>;
  put(key: string, pin: PinRecord): Promise<void>;
  delete(key: string): Promise<void>;
};

/** A role in one consult. */
export type Seat = { consultId: string; role: "doctor" | "patient" };

export const personPinKey = (myUserId: string, peerUserId: string) => `${myUserId}|${peerUserId}`;
export const seatPinKey = (myUserId: string, seat: Seat) => `${myUserId}|seat|${seat.consultId}|${seat.role}`;
/** The doctor seat's anchor from the invite link; kept before the patient has a user id, so per consult only. */
export const anchorPinKey = (consultId: string) => `anchor|${consultId}|doctor`;

/** Keeps the anchor the invite link carried (the join page, before redeeming it). */
export async function rememberAnchor(store: PinStore, consultId: string, anchor: Uint8Array): Promise<void> {
  await store.put(anchorPinKey(consultId), { spki: new Uint8Array(anchor), verified: false });
}

/**
 * The trust for one counterpart: `peerUserId` (a server hint) in `seat`. A key differing from
 * either pin is "changed" and must be acknowledged; a key new to the person but the one the seat
 * already had is new for the person only.
 */
export function trustWith(store: PinStore, myUserId: string, peerUserId: string, seat: Seat): Trust {
  const person = personPinKey(myUserId, peerUserId);
  const place = seatPinKey(myUserId, seat);
  const put = async (spki: Uint8Array, verified: boolean, keys: string[], acknowledged = false) => {
    for (const key of keys) await store.put(key, { spki: new Uint8Array(spki), verified, ...(acknowledged ? { acknowledged } : {}) });
  };
  /** The key does not match the link's anchor, and was neither acknowledged nor compared since. */
  const offAnchor = async (peerIdentity: Uint8Array, byPerson: PinRecord | undefined, bySeat: PinRecord | undefined) => {
    if (seat.role !== "doctor") return false;
    const anchor = await store.get(anchorPinKey(seat.consultId));
    if (!anchor || equal(await doctorAnchor(peerIdentity), anchor.spki)) return false;
    const settled = (r: PinRecord | undefined) => !!r && (r.acknowledged || r.verified) && checkPin(r.spki, peerIdentity) === "same";
    return !settled(byPerson) && !settled(bySeat);
  };
  return {
    async pin(peerIdentity) {
      const [byPerson, bySeat] = await Promise.all([store.get(person), store.get(place)]);
      const p = checkPin(byPerson?.spki, peerIdentity);
      const s = checkPin(bySeat?.spki, peerIdentity);
      if (p === "changed" || s === "changed") return "changed";
      if (await offAnchor(peerIdentity, byPerson, bySeat)) return "changed";
      await put(peerIdentity, false, [...(p === "new" ? [person] : []), ...(s === "new" ? [place] : [])]);
      return p;
    },
    async acceptChange(peerIdentity) {
      await put(peerIdentity, false, [person, place], true);
    },
    async mayTrustOnFirstUse(peerIdentity) {
      const [byPerson, bySeat] = await Promise.all([store.get(person), store.get(place)]);
      const pinned = (p: PinRecord | undefined) => !!p && checkPin(p.spki, peerIdentity) === "same" && !p.acknowledged;
      return pinned(byPerson) && pinned(bySeat);
    },
    async isVerified(peerIdentity) {
      const [byPerson, bySeat] = await Promise.all([store.get(person), store.get(place)]);
      return !!byPerson?.verified && checkPin(byPerson.spki, peerIdentity) === "same" && checkPin(bySeat?.spki, peerIdentity) !== "changed";
    },
    async rememberVerified(peerIdentity) {
      await put(peerIdentity, true, [person]);
      await put(peerIdentity, false, [place]);
    },
  };
}
