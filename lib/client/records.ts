"use client";
// The clinic's records key in the browser (PROTOCOL §7.4, §7.5).
// - A doctor's device pins the records key the first time it meets it, seals each consult key to
//   it (lib/client/key-copies.ts), and says so in the room; a different key later is a warning.
// - An admin makes the key: the private scalar becomes 24 words to print, and only the public half
//   goes to the server.
// - An admin with the sheet reads a consult's record: the words give the private key (checked
//   against the clinic's records key), which opens the copies sealed to it; the messages are opened
//   and checked as the room would, and documents are fetched and checked as the room does. Nothing
//   of it is stored in this browser.
import {
  fingerprint,
  fromBase64Url,
  newRecordsKey,
  openConsultKeyCopy,
  openHistoryPins,
  openRecordsSheet,
  recordsFingerprint,
  importAeadKey,
  toBase64Url,
  toHex,
  type BoxKey,
  type CopyRecipient,
  type FileNotice,
  type HistoryPin,
} from "@/lib/crypto";
import { useEffect, useState } from "react";
import { recordsKeyAnswer, type RecordsKeyInfo } from "@/lib/shared/keys";
import { recordAnswer, recordListAnswer } from "@/lib/shared/records";
import { fileDownloadAnswer, type RoomSnapshot } from "@/lib/shared/api";
import { api } from "./api";
import { ChatLog, type ChatItem } from "./chat/chat-log";
import { openStored } from "./chat/message-opener";
import { browserPins } from "./device-identity";
import { downloadToBlob, type DownloadProgress } from "./files/download";
import { pinnedRecordsKey, recordsPinKey } from "./key-copies";
import type { StoredConsultKey } from "./parley-db";

// ---- the doctor's device ----

export type RecordsNotice = { state: "none" } | { state: "pinned" | "changed"; fingerprint: string };

/**
 * Pins the clinic's records key the first time this device meets it; a different one later is
 * reported, not used (this device keeps sealing to the one it pinned, or to none).
 */
export async function meetRecordsKey(userId: string, key: RoomSnapshot["recordsKey"]): Promise<RecordsNotice> {
  if (!key) return { state: "none" };
  const spki = fromBase64Url(key.publicKey);
  const shown = await recordsFingerprint(spki);
  const pinned = await pinnedRecordsKey(userId);
  if (!pinned) {
    await browserPins.put(recordsPinKey(userId, key.id), { spki, verified: false });
    return { state: "pinned", fingerprint: shown };
  }
  return { state: pinned.id === key.id && toHex(pinned.spki) === toHex(spki) ? "pinned" : "changed", fingerprint: shown };
}

// ---- the admin: making the key ----

export async function clinicRecordsKey(): Promise<RecordsKeyInfo | null> {
  return api.get("/api/records-key", recordsKeyAnswer);
}

/** The clinic's records key as the admin page shows it: its sheet fingerprint and age. */
export type RecordsKeyView = { fingerprint: string; createdAt: string };

const viewOf = async (k: RecordsKeyInfo): Promise<RecordsKeyView> => ({ fingerprint: await recordsFingerprint(fromBase64Url(k.publicKey)), createdAt: k.createdAt });

export async function recordsKeyView(): Promise<RecordsKeyView | null> {
  const k = await clinicRecordsKey();
  return k ? viewOf(k) : null;
}

/** A new records key: the sheet's words and fingerprint, and `save` to register its public half. */
export async function makeRecordsKey(): Promise<{ words: string[]; fingerprint: string; save: () => Promise<RecordsKeyView> }> {
  const { key, words, fingerprint: fp } = await newRecordsKey();
  const publicKey = toBase64Url(key.spki);
  return { words, fingerprint: fp, save: async () => viewOf(await api.post("/api/admin/records-key", { publicKey }, recordsKeyAnswer.unwrap())) };
}

export const recordList = () => api.get("/api/admin/records", recordListAnswer);

// ---- the admin: reading a record ----

export type OpenedRecord = {
  consult: { id: string; status: string; doctor: string; scheduledAt: string; endedAt: string | null };
  items: ChatItem[];
  /** the documents announced in the chat that opened, with what fetching them needs */
  documents: { notice: FileNotice; sender: string; at: number }[];
  /** how many of the record's keys opened */
  keys: number;
};

export class SheetRefused extends Error {}

/** The reader's "device" and "user" in the chat log: none of the consult's. */
const NOBODY = "00000000-0000-0000-0000-000000000000";

/** The records key's private half from the typed words, refused unless it is the clinic's. */
export async function unlockSheet(words: string): Promise<BoxKey> {
  const clinic = await clinicRecordsKey();
  if (!clinic) throw new SheetRefused("This clinic has no records key.");
  try {
    return await openRecordsSheet(words, fromBase64Url(clinic.publicKey));
  } catch (err) {
    throw new SheetRefused(
      err instanceof Error && /another records key/.test(err.message) ? err.message : "These words are not a records key sheet: check each word, in order, against the printed sheet.",
    );
  }
}

/** Opens one consult's record read-only with the records key (audited by the server). */
export async function openRecord(consultId: string, key: BoxKey): Promise<OpenedRecord> {
  const r = await api.post(`/api/admin/records/${consultId}`, {}, recordAnswer);
  const to: CopyRecipient = { kind: "records" };
  const keys = new Map<string, StoredConsultKey>();
  const pins = new Map<string, HistoryPin>();
  for (const c of r.copies) {
    try {
      if (c.kind === "consult") {
        const k = await openConsultKeyCopy(to, consultId, fromBase64Url(c.box), key, { epoch: c.epoch, keyId: fromBase64Url(c.keyId) });
        keys.set(toHex(k.keyId), {
          id: toHex(k.keyId),
          consult: `records|${consultId}`,
          epoch: k.epoch,
          keyId: new Uint8Array(k.keyId),
          key: await importAeadKey(k.key),
          receivedAt: Date.now(),
          restored: true,
        });
        k.key.fill(0);
      } else if (c.kind === "pins") {
        for (const p of await openHistoryPins(to, consultId, fromBase64Url(c.box), key)) pins.set(toHex(await fingerprint(p.spki)), p);
      }
    } catch {
      // a copy that does not open is skipped; its messages show as not openable
    }
  }
  // The reader is no device of the consult: every sender is checked against the key the server
  // names, and shown verified only where the doctor's device had compared it (the pins).
  const log = new ChatLog(NOBODY);
  const ctx = {
    consultId,
    userId: NOBODY,
    identity: { deviceId: NOBODY, spki: new Uint8Array(key.spki) },
    log,
    keys,
    pinOf: () => Promise.resolve(undefined),
    historyPinOf: async (spki: Uint8Array) => {
      const p = pins.get(toHex(await fingerprint(spki)));
      return p ? { key: "", spki: new Uint8Array(p.spki), verified: p.verified || p.own, pinnedAt: 0 } : undefined;
    },
  };
  for (const m of r.messages) await openStored(ctx, m);
  const items = log.items();
  const documents = items.flatMap((i) => (i.type === "message" && i.file ? [{ notice: i.file, sender: i.senderUserId, at: i.at }] : []));
  return { consult: r.consult, items, documents, keys: keys.size };
}

/** Fetches and checks one document of a record (the link comes from the admin's audited route). */
export function recordDocument(consultId: string, notice: FileNotice, onProgress: (p: DownloadProgress) => void): Promise<Blob> {
  return downloadToBlob({
    consultId,
    notice,
    signal: new AbortController().signal,
    onProgress,
    urlOf: (id, fileId) => api.post(`/api/admin/records/${id}/files/${fileId}`, {}, fileDownloadAnswer),
  });
}

/** The room's word on the clinic's copy: the records key met (pinned on first sight), or a changed one. */
export function useRecordsNotice(userId: string, key: RoomSnapshot["recordsKey"]): RecordsNotice | undefined {
  const [notice, setNotice] = useState<RecordsNotice>();
  useEffect(() => {
    let live = true;
    meetRecordsKey(userId, key).then(
      (n) => live && setNotice(n),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [userId, key]);
  return notice;
}
