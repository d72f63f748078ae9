// The consult key (PROTOCOL §3). Epoch n has a 32-byte key K_n and a 16-byte key id. Only the
// owner device (the doctor's) makes them, and sends them only to verified devices:
//   key message = AES-256-GCM(pairwise, K_n ‖ keyId ‖ u32(n),
//                             AAD = enc("parley/v1/key", TH, consultId, sender deviceId, recipient deviceId))
// Recipients never overwrite a key id, never hold two keys for one epoch, and seal new items under
// the highest epoch they hold, so a replayed old `key` message cannot roll them back.
import { concat, equal, readU32, toHex, u32, type Bytes } from "./bytes";
import { enc } from "./encoding";
import { LABEL, label } from "./labels";
import { open, seal, type AeadKey } from "./primitives";
import { ProtocolError, randomBytes } from "./subtle";

export type ConsultKey = { epoch: number; keyId: Bytes; key: Bytes };

export function newConsultKey(epoch: number): ConsultKey {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new ProtocolError("epoch out of range");
  return { epoch, keyId: randomBytes(16), key: randomBytes(32) };
}

export type KeyContext = { th: Uint8Array; consultId: Uint8Array; senderDeviceId: Uint8Array; recipientDeviceId: Uint8Array };

export function keyAad(c: KeyContext): Bytes {
  for (const [name, b, n] of [
    ["th", c.th, 32],
    ["consultId", c.consultId, 16],
    ["senderDeviceId", c.senderDeviceId, 16],
    ["recipientDeviceId", c.recipientDeviceId, 16],
  ] as const) {
    if (b.length !== n) throw new ProtocolError(`${name} must be ${n} bytes`);
  }
  return enc(label(LABEL.key), c.th, c.consultId, c.senderDeviceId, c.recipientDeviceId);
}

export async function wrapConsultKey(pairwise: AeadKey, k: ConsultKey, c: KeyContext, iv?: Uint8Array): Promise<{ iv: Bytes; ciphertext: Bytes }> {
  if (k.key.length !== 32 || k.keyId.length !== 16) throw new ProtocolError("malformed consult key");
  return seal(pairwise, concat(k.key, k.keyId, u32(k.epoch)), keyAad(c), iv);
}

export async function unwrapConsultKey(pairwise: AeadKey, iv: Uint8Array, ciphertext: Uint8Array, c: KeyContext): Promise<ConsultKey> {
  const plain = await open(pairwise, iv, ciphertext, keyAad(c));
  if (plain.length !== 52) throw new ProtocolError("malformed key message");
  return { key: plain.slice(0, 32), keyId: plain.slice(32, 48), epoch: readU32(plain.slice(48, 52)) };
}

export type AcceptOutcome = "added" | "known";

function copyKey(k: ConsultKey): ConsultKey {
  return { epoch: k.epoch, keyId: new Uint8Array(k.keyId), key: new Uint8Array(k.key) };
}

/** The consult keys a device holds, with the no-overwrite and no-rollback rules. */
export class KeyRing {
  private readonly byId = new Map<string, ConsultKey>();
  private readonly byEpoch = new Map<number, ConsultKey>();

  accept(k: ConsultKey): AcceptOutcome {
    const id = toHex(k.keyId);
    const same = this.byId.get(id);
    if (same) {
      if (same.epoch !== k.epoch || !equal(same.key, k.key)) throw new ProtocolError("a consult key id may never be overwritten");
      return "known";
    }
    const atEpoch = this.byEpoch.get(k.epoch);
    if (atEpoch) throw new ProtocolError(`epoch ${k.epoch} already has another key`);
    const copy = copyKey(k);
    this.byId.set(id, copy);
    this.byEpoch.set(k.epoch, copy);
    return "added";
  }

  /** The key new items are sealed under: the highest epoch held (a copy). */
  current(): ConsultKey | undefined {
    let best: ConsultKey | undefined;
    for (const k of this.byEpoch.values()) if (!best || k.epoch > best.epoch) best = k;
    return best && copyKey(best);
  }

  /** The key to open an item sealed under `keyId`, if held (a copy). */
  get(keyId: Uint8Array): ConsultKey | undefined {
    const k = this.byId.get(toHex(keyId));
    return k && copyKey(k);
  }

  get size(): number {
    return this.byId.size;
  }
}
