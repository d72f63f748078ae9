// The documents panel's list (PROTOCOL §5): a document exists for the people of the consult once
// its sealed `file` message is in the chat; the server's list adds only its state (uploading,
// ready, gone), and this device's uploads and downloads their progress.
import { bytesToUuid, type FileNotice } from "@/lib/crypto";
import type { ServerState } from "./server-files";
import type { ChatItem, ChatMessageItem } from "../chat/chat-log";

/** Previews are decrypted into memory: only for types the browser shows safely, and not too large. */
export const PREVIEW_TYPES = /^(image\/(png|jpeg|gif|webp|avif|bmp)|application\/pdf)$/;
export const PREVIEW_MAX_BYTES = 50 * 1000 * 1000;

export type DocumentState = "uploading" | "ready" | "failed";

export type DocumentItem = {
  /** the file id (or, while the server has none yet, a local id) */
  id: string;
  name: string;
  type: string;
  /** plaintext bytes */
  size: number;
  senderUserId: string;
  mine: boolean;
  at: number;
  state: DocumentState;
  /** 0..1 while uploading or downloading */
  progress?: number;
  downloading: boolean;
  problem?: string;
  canPreview: boolean;
  /** the sender's key was compared, not only trusted on first use */
  senderVerified: boolean;
};

export type Upload = { localId: string; fileId?: string; file: File; controller: AbortController; sent: number; total: number; problem?: string; at: number };
export type Download = { progress: number; problem?: string; controller?: AbortController };
export type Notice = { item: ChatMessageItem; file: FileNotice };

/** The documents announced in the chat, by file id. */
export function noticesOf(items: ChatItem[]): Map<string, Notice> {
  const m = new Map<string, Notice>();
  for (const i of items) if (i.type === "message" && i.file) m.set(bytesToUuid(i.file.fileId), { item: i, file: i.file });
  return m;
}

export const canPreview = (file: { type: string; size: number }) => PREVIEW_TYPES.test(file.type) && file.size <= PREVIEW_MAX_BYTES;

/** `stateOf`: what the server says of a document (lib/client/files/server-files.ts). */
export function documentItems(notices: Map<string, Notice>, stateOf: (id: string) => ServerState, downloads: Map<string, Download>, uploads: Upload[], userId: string): DocumentItem[] {
  const out: DocumentItem[] = [];
  for (const [id, { item, file }] of notices) {
    const known = stateOf(id);
    const s = typeof known === "object" ? known : undefined;
    const d = downloads.get(id);
    const gone = known === "gone";
    const state: DocumentState = gone || s?.status === "failed" || s?.status === "aborted" ? "failed" : "ready";
    out.push({
      id,
      name: file.name,
      type: file.type,
      size: file.size,
      senderUserId: item.senderUserId,
      mine: item.mine,
      at: item.at,
      state,
      progress: d && !d.problem ? d.progress : undefined,
      downloading: !!d && !d.problem,
      problem: gone ? "This document was removed from the server." : d?.problem,
      canPreview: state === "ready" && canPreview(file),
      senderVerified: item.senderVerified,
    });
  }
  for (const u of uploads) {
    if (u.fileId && notices.has(u.fileId)) continue;
    out.push({
      id: u.localId,
      name: u.file.name,
      type: u.file.type,
      size: u.file.size,
      senderUserId: userId,
      mine: true,
      at: u.at,
      state: u.problem ? "failed" : "uploading",
      progress: u.total > 0 ? u.sent / u.total : 0,
      downloading: false,
      problem: u.problem,
      canPreview: false,
      senderVerified: true,
    });
  }
  return out.sort((a, b) => a.at - b.at);
}
