// Consult actions from the browser.
import { api } from "./api";
import {
  createConsultAnswer,
  fileAnswer,
  fileDownloadAnswer,
  filePartsAnswer,
  filesAnswer,
  iceServersAnswer,
  inviteAnswer,
  messagesAnswer,
  roomSnapshot,
  storedMessage,
  type E2eeReport,
  type MessageReceipt,
  type PostMessageBody,
  type PresenceUpdate,
} from "@/lib/shared/api";
import { z } from "zod";

const base = (id: string) => `/api/consults/${id}`;

export const consultActions = {
  create: () => api.post("/api/consults", {}, createConsultAnswer),
  snapshot: (id: string) => api.get(base(id), roomSnapshot),
  admit: (id: string, participantId: string) => api.post(`${base(id)}/admit`, { participantId }),
  end: (id: string) => api.post(`${base(id)}/end`),
  leave: (id: string) => api.post(`${base(id)}/leave`),
  rejoin: (id: string) => api.post(`${base(id)}/rejoin`),
  /** tells the audit trail what happened to the consult's encryption (the server cannot see it) */
  reportE2ee: (id: string, result: E2eeReport) => api.post(`${base(id)}/verification`, { result }),
  newInvite: (id: string) => api.post(`${base(id)}/invites`, {}, inviteAnswer),
  revokeInvite: (id: string, inviteId: string) => api.delete(`${base(id)}/invites/${inviteId}`),
  signal: (id: string, body: { to?: string; type: string; payload: Record<string, unknown> }) => api.post(`${base(id)}/signals`, body),
  iceServers: (id: string) => api.get(`${base(id)}/ice-servers`, iceServersAnswer),
};

/** The consult's sealed chat on the server (lib/client/chat). */
export const chatActions = {
  list: (id: string) => api.get(`${base(id)}/messages`, messagesAnswer),
  post: (id: string, body: PostMessageBody) => api.post(`${base(id)}/messages`, body, z.object({ message: storedMessage })),
  receipt: (id: string, receipt: MessageReceipt) => api.post(`${base(id)}/messages/receipts`, receipt),
  presence: (id: string, update: PresenceUpdate) => api.post(`${base(id)}/presence`, update),
  deleteAll: (id: string) => api.delete(`${base(id)}/messages`, z.object({ deleted: z.number() })),
  transcriptExported: (id: string, messages: number) => api.post(`${base(id)}/transcript`, { messages }),
};

/** The consult's documents on the server: ids, states and presigned URLs (lib/client/files). */
export const fileActions = {
  list: (id: string) => api.get(`${base(id)}/files`, filesAnswer),
  create: (id: string, body: { fileId: string; size: number; partSize: number }) => api.post(`${base(id)}/files`, body, fileAnswer),
  partUrls: (id: string, fileId: string, parts: number[]) => api.post(`${base(id)}/files/${fileId}/parts`, { parts }, filePartsAnswer),
  // Joining a 2 GiB upload's parts can take the store a while.
  complete: (id: string, fileId: string, parts: { partNumber: number; etag: string }[]) => api.post(`${base(id)}/files/${fileId}/complete`, { parts }, fileAnswer, { timeoutMs: 10 * 60_000 }),
  remove: (id: string, fileId: string) => api.delete(`${base(id)}/files/${fileId}`),
  downloadUrl: (id: string, fileId: string) => api.get(`${base(id)}/files/${fileId}`, fileDownloadAnswer),
};

/**
 * A signal sent while the page is going away (pagehide): a keepalive request the browser finishes
 * after the page is gone. Fire and forget.
 */
export function signalOnUnload(id: string, body: { to?: string; type: string; payload: Record<string, unknown> }): void {
  void fetch(`${base(id)}/signals`, {
    method: "POST",
    keepalive: true,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  }).catch(() => undefined);
}
