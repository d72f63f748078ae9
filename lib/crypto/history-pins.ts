// The pins a consult's record needs on another device (PROTOCOL §7.5): the identity keys of the
// devices that wrote in it, and whether each was compared, so that a restored device checks each
// message's signature against a key its person met rather than the one the server names. Sealed
// in a sealed box (sealed-box.ts) to any of §7.1's recipients:
//   recipient  label                   salt       AAD fields (after the label)
//   device     parley/v1/device-pins   userId     userId, consultId, deviceId
//   backup     parley/v1/backup-pins   userId     userId, consultId
//   records    parley/v1/records-pins  consultId  consultId
//   plaintext = u8 1 (format) ‖ u8 n ‖ n × (SPKI(91) ‖ u8 flags) ‖ zeros to 1 + 1 + 8 × 92 bytes
//   flags: bit 0 compared (verified), bit 1 one of the person's own devices; n ≤ 8
// Every box has the same size, whatever n.
import { equal, uuidBytes, type Bytes } from "./bytes";
import { type CopyRecipient } from "./key-copies";
import { LABEL } from "./labels";
import { SIZES } from "./primitives";
import { openBox, sealBox, type BoxContext, type BoxKey } from "./sealed-box";
import { ProtocolError } from "./subtle";

export type HistoryPin = { spki: Uint8Array; verified: boolean; own: boolean };

export const MAX_HISTORY_PINS = 8;
const FORMAT = 1;
const SPKI_BYTES = 91;
const ENTRY = SPKI_BYTES + 1;
export const HISTORY_PINS_BYTES = 2 + MAX_HISTORY_PINS * ENTRY;

function context(to: CopyRecipient, consultId: string): BoxContext {
  switch (to.kind) {
    case "device":
      return { label: LABEL.devicePins, salt: uuidBytes(to.userId), aad: [uuidBytes(to.userId), uuidBytes(consultId), uuidBytes(to.deviceId)] };
    case "backup":
      return { label: LABEL.backupPins, salt: uuidBytes(to.userId), aad: [uuidBytes(to.userId), uuidBytes(consultId)] };
    case "records":
      return { label: LABEL.recordsPins, salt: uuidBytes(consultId), aad: [uuidBytes(consultId)] };
  }
}

export function encodeHistoryPins(pins: HistoryPin[]): Bytes {
  if (pins.length > MAX_HISTORY_PINS) throw new ProtocolError(`at most ${MAX_HISTORY_PINS} pins per consult`);
  const out = new Uint8Array(HISTORY_PINS_BYTES);
  out[0] = FORMAT;
  out[1] = pins.length;
  pins.forEach((p, i) => {
    if (p.spki.length !== SPKI_BYTES) throw new ProtocolError("a pin is a 91-byte SPKI");
    out.set(p.spki, 2 + i * ENTRY);
    out[2 + i * ENTRY + SPKI_BYTES] = (p.verified ? 1 : 0) | (p.own ? 2 : 0);
  });
  return out;
}

export function decodeHistoryPins(plain: Uint8Array): HistoryPin[] {
  if (plain.length !== HISTORY_PINS_BYTES || plain[0] !== FORMAT) throw new ProtocolError("not a pins list of format 1");
  const n = plain[1] ?? 0;
  if (n > MAX_HISTORY_PINS) throw new ProtocolError("too many pins");
  const pins: HistoryPin[] = [];
  for (let i = 0; i < n; i++) {
    const at = 2 + i * ENTRY;
    const flags = plain[at + SPKI_BYTES] ?? 0;
    if (flags > 3) throw new ProtocolError("unknown pin flags");
    pins.push({ spki: plain.slice(at, at + SPKI_BYTES), verified: (flags & 1) === 1, own: (flags & 2) === 2 });
  }
  if (!equal(plain.subarray(2 + n * ENTRY), new Uint8Array(HISTORY_PINS_BYTES - 2 - n * ENTRY))) throw new ProtocolError("bad pins padding");
  return pins;
}

/**
 * Seals a consult's pins to a recipient (its box key's SPKI): a linked device, the person's backup
 * key or the clinic's records key. `fixed` is for test vectors only.
 */
export function sealHistoryPins(to: CopyRecipient, consultId: string, pins: HistoryPin[], recipientSpki: Uint8Array, fixed?: { ephemeral: CryptoKeyPair; iv: Uint8Array }): Promise<Bytes> {
  return sealBox(context(to, consultId), recipientSpki, encodeHistoryPins(pins), fixed);
}

/** Opens a pins box sealed to `to`; a box for another recipient, person or consult is refused. */
export async function openHistoryPins(to: CopyRecipient, consultId: string, box: Uint8Array, boxKey: BoxKey): Promise<HistoryPin[]> {
  return decodeHistoryPins(await openBox(context(to, consultId), boxKey, box, HISTORY_PINS_BYTES + SIZES.tag));
}

/** The size of a sealed pins box: enc(SPKI(e), iv, ct). */
export const HISTORY_PINS_BOX_BYTES = 12 + SPKI_BYTES + SIZES.iv + HISTORY_PINS_BYTES + SIZES.tag;
