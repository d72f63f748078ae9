"use client";
// The browser's local store (IndexedDB "parley"): this device's identities, the keys it pinned for
// counterparts, its consult keys and name keys, the chat outbox and chain state, and the key unsealed
// drafts are masked under. Nothing here
// is sent to the server; the server's copy of a message is only ever its ciphertext.
import type { Handover } from "./key-handover";
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { PostMessageBody } from "@/lib/shared/api";

export type DeviceIdentity = {
  userId: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  spki: Uint8Array<ArrayBuffer>;
  /** the server's id for this device, once registered */
  deviceId?: string;
  createdAt: number;
  /** staff devices: the ECDH box key key copies are sealed to (PROTOCOL §7.2), its private half non-extractable */
  boxKey?: { privateKey: CryptoKey; spki: Uint8Array<ArrayBuffer> };
  /** the server has the box key, signed by the identity */
  boxKeyRegistered?: boolean;
};

/** What this device knows of a counterpart (PROTOCOL §1): the key it pinned, and whether it was compared. */
export type Pin = { key: string; spki: Uint8Array<ArrayBuffer>; verified: boolean; pinnedAt: number; acknowledged?: boolean };

/** A consult key held on this device (lib/client/consult-keys.ts). `raw` only on the owner device. */
export type StoredConsultKey = {
  id: string;
  /** `${userId}|${consultId}` */
  consult: string;
  epoch: number;
  keyId: Uint8Array<ArrayBuffer>;
  key: CryptoKey;
  raw?: Uint8Array<ArrayBuffer>;
  receivedAt: number;
  /** owner device: who this epoch was handed to (lib/client/key-handover.ts) */
  handover?: Handover;
  /** recipient device: received on trust, before the codes were compared */
  provisional?: boolean;
  /** opened from a sealed copy (PROTOCOL §7): for reading only, never sealed under */
  restored?: boolean;
  /** owner device: the fingerprint (hex) of the backup key a copy of it was stored for */
  backedUp?: string;
  /** the fingerprints (hex) of the other public keys (linked devices' box keys) a copy of it was stored for */
  copiedTo?: string[];
};

/**
 * A sealed message this device made and the server has not yet acknowledged (PROTOCOL §4): the
 * exact bytes to post, so a retry after a reload or a dropped network sends the same bytes and seq.
 */
export type OutboxEntry = {
  /** the message id (a random UUID v4) */
  id: string;
  /** `${userId}|${consultId}` */
  consult: string;
  seq: number;
  body: PostMessageBody;
  createdAt: number;
  /** the server refused it for good (e.g. the consult ended): kept so the person sees it failed */
  failed?: string;
};

/**
 * The doctor's per-consult name key N (PROTOCOL §6, lib/client/patient-names.ts): patients seal
 * their names to its public half, which travels in the invite link's fragment.
 */
export type StoredNameKey = {
  /** `${userId}|${consultId}` */
  consult: string;
  privateKey: CryptoKey;
  spki: Uint8Array<ArrayBuffer>;
  createdAt: number;
  /** opened from a sealed copy: opens names, never goes in a new invite link (key `<consult>|restored`) */
  restored?: boolean;
  /** the fingerprint (hex) of the backup key a copy of it was stored for */
  backedUp?: string;
  /** the fingerprints (hex) of the other public keys (linked devices' box keys) a copy of it was stored for */
  copiedTo?: string[];
};

/** One sending chain per user, consult and device: the next seq and the hash of the last P. */
export type ChainState = { key: string; nextSeq: number; lastHash: Uint8Array<ArrayBuffer> };

/**
 * The key this device masks unsealed drafts under in a tab's session storage (lib/client/chat/send-drafts.ts,
 * docs/protocol.md §4): AES-256-CTR, non-extractable, one per person on the device.
 */
export type DraftKey = { userId: string; key: CryptoKey; createdAt: number };

interface ParleyDB extends DBSchema {
  identities: { key: string; value: DeviceIdentity };
  pins: { key: string; value: Pin };
  consultKeys: { key: string; value: StoredConsultKey; indexes: { byConsult: string } };
  outbox: { key: string; value: OutboxEntry; indexes: { byConsult: string } };
  chains: { key: string; value: ChainState };
  nameKeys: { key: string; value: StoredNameKey };
  draftKeys: { key: string; value: DraftKey };
}

export type ParleyDb = IDBPDatabase<ParleyDB>;

let dbPromise: Promise<ParleyDb> | undefined;

export function parleyDb(): Promise<ParleyDb> {
  dbPromise ??= openDB<ParleyDB>("parley", 6, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) d.createObjectStore("identities", { keyPath: "userId" });
      if (oldVersion < 2) d.createObjectStore("pins", { keyPath: "key" });
      if (oldVersion < 3) d.createObjectStore("consultKeys", { keyPath: "id" }).createIndex("byConsult", "consult");
      if (oldVersion < 4) {
        d.createObjectStore("outbox", { keyPath: "id" }).createIndex("byConsult", "consult");
        d.createObjectStore("chains", { keyPath: "key" });
      }
      if (oldVersion < 5) d.createObjectStore("nameKeys", { keyPath: "consult" });
      if (oldVersion < 6) d.createObjectStore("draftKeys", { keyPath: "userId" });
    },
    // Another tab of an older version holds the database open: it closes, this one goes on.
    blocking() {
      void dbPromise?.then((d) => d.close());
      dbPromise = undefined;
    },
  });
  return dbPromise;
}
