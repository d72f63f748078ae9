// The consult key on each device (PROTOCOL §3), with lib/crypto's real key and KeyRing: the owner
// (the doctor's device) starts at epoch 0 and hands epochs over by the real rules of
// lib/client/key-handover.ts; a recipient records every key it is handed and keeps it by
// the ring's no-overwrite rules, then zeroes the bytes it was given, as lib/client/consult-keys.ts does.
import { fingerprint, KeyRing, newConsultKey, toHex, type ConsultKey } from "@/lib/crypto";
import { handedTo, needsNewEpoch, type Handover } from "@/lib/client/key-handover";
import type { ConsultKeys } from "@/lib/rtc/call-state";

export type OwnerKeys = {
  role: "owner";
  consultKeys: ConsultKeys;
  /** the newest epoch: what the owner seals under */
  key: ConsultKey;
  /** every epoch the owner made, oldest first, with its hand-overs (the real rules: lib/client/key-handover.ts) */
  epochs: { key: ConsultKey; handover?: Handover }[];
  asked: number;
};
export type RecipientKeys = { role: "recipient"; consultKeys: ConsultKeys; ring: KeyRing; received: ConsultKey[]; provisional: boolean[] };

const copy = (k: ConsultKey): ConsultKey => ({ ...k, key: new Uint8Array(k.key), keyId: new Uint8Array(k.keyId) });

export function ownerKeys(epoch = 0): OwnerKeys {
  const first = newConsultKey(epoch);
  const rotate = () => {
    const k = newConsultKey(owner.key.epoch + 1);
    owner.epochs.push({ key: k });
    owner.key = k;
    return k;
  };
  const owner: OwnerKeys = {
    role: "owner",
    key: first,
    epochs: [{ key: first }],
    asked: 0,
    consultKeys: {
      role: "owner",
      forPeer: async (peerIdentity, onTrust) => {
        owner.asked++;
        const peer = toHex(await fingerprint(peerIdentity));
        const newest = owner.epochs.at(-1);
        if (!newest || needsNewEpoch(newest.handover ?? { givenTo: [], provisional: false }, peer, onTrust)) rotate();
        const current = owner.epochs.at(-1) ?? owner.epochs[0];
        if (!current) throw new Error("no epoch");
        current.handover = handedTo(current.handover, peer, onTrust);
        return { ...copy(current.key), provisional: current.handover.provisional };
      },
      rotate: () => Promise.resolve(copy(rotate())),
    },
  };
  return owner;
}

export function recipientKeys(): RecipientKeys {
  const ring = new KeyRing();
  const received: ConsultKey[] = [];
  const provisional: boolean[] = [];
  return {
    role: "recipient",
    ring,
    received,
    provisional,
    consultKeys: {
      role: "recipient",
      receive: (k, isProvisional) => {
        provisional.push(isProvisional);
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
