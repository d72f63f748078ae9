// Which consult key the owner device (the doctor's) may hand to a peer device (PROTOCOL §3,
// docs/protocol.md "Epochs"): pure rules over what was handed before, shared by the IndexedDB
// store (consult-keys.ts) and the unit tests' in-memory one.
// - An epoch is handed to one identity only. A different identity (another patient admitted to
//   the consult, the patient on a new browser, a key the person acknowledged as changed) gets a
//   new epoch, so it never reads what was sealed before it arrived.
// - An epoch handed on trust (TRUST_ON_FIRST_USE, codes not compared) is provisional: the first
//   hand-over after a comparison starts a new epoch, so what is written from then on was never
//   given to an unverified device.

/** What the owner device recorded about an epoch's hand-overs. */
export type Handover = {
  /** SHA-256 of each identity key (SPKI) it went to, hex */
  givenTo: string[];
  /** it went to a device on trust, before anyone compared codes */
  provisional: boolean;
};

/** Whether `peer` (an identity's hex SHA-256) must get a new epoch instead of the current one. */
export function needsNewEpoch(current: Handover | undefined, peer: string, onTrust: boolean): boolean {
  if (!current) return true;
  if (current.givenTo.some((g) => g !== peer)) return true;
  return current.provisional && !onTrust;
}

/** The epoch's record after handing it to `peer`. */
export function handedTo(current: Handover | undefined, peer: string, onTrust: boolean): Handover {
  const givenTo = current?.givenTo.includes(peer) ? current.givenTo : [...(current?.givenTo ?? []), peer];
  return { givenTo, provisional: (current?.provisional ?? false) || onTrust };
}
