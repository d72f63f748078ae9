// The consult key on each device (PROTOCOL §3), with lib/crypto's real key and KeyRing: the owner
// (the doctor's device) holds epoch 0; a recipient records every key it is handed and keeps it by
// the ring's no-overwrite rules, then zeroes the bytes it was given, as lib/client/consult-keys.ts does.
import { KeyRing, newConsultKey, type ConsultKey } from "@/lib/crypto";
import type { ConsultKeys } from "@/lib/rtc/call-state";

export type OwnerKeys = { role: "owner"; consultKeys: ConsultKeys; key: ConsultKey; asked: number };
export type RecipientKeys = { role: "recipient"; consultKeys: ConsultKeys; ring: KeyRing; received: ConsultKey[] };

export function ownerKeys(epoch = 0): OwnerKeys {
  const owner: OwnerKeys = {
    role: "owner",
    key: newConsultKey(epoch),
    asked: 0,
    consultKeys: {
      role: "owner",
      current: () => {
        owner.asked++;
        return Promise.resolve({ ...owner.key, key: new Uint8Array(owner.key.key), keyId: new Uint8Array(owner.key.keyId) });
      },
    },
  };
  return owner;
}

export function recipientKeys(): RecipientKeys {
  const ring = new KeyRing();
  const received: ConsultKey[] = [];
  return {
    role: "recipient",
    ring,
    received,
    consultKeys: {
      role: "recipient",
      receive: (k) => {
        received.push({ epoch: k.epoch, keyId: new Uint8Array(k.keyId), key: new Uint8Array(k.key) });
        try {
          return Promise.resolve(ring.accept(k));
        } finally {
          k.key.fill(0);
        }
      },
    },
  };
}
