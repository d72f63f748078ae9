// What a chat session (lib/client/chat/chat-session.ts) is given: the server's chat routes, this
// device's IndexedDB store, the clock, and the page. The browser's are the defaults; unit tests
// pass fakes.
import type { MessageReceipt, PostMessageBody, PresenceUpdate, StoredMessage } from "@/lib/shared/api";
import type { OutboxEntry, Pin, StoredConsultKey } from "../parley-db";
import { systemClock, type Clock } from "../clock";
import { chatActions } from "../consults";
import { saveBlob } from "../files/save-file";
import { consultKeysOf, draftKeyOf, eraseConsultFromDevice, historyPinOf, outboxOf, pinOf, removeFromOutbox, sealIntoOutbox, setOutboxFailure, type SealInput } from "./chat-store";
import { browserTabStorage, type TabStorage } from "./send-drafts";

export type ChatApi = {
  list(consultId: string): Promise<{ messages: StoredMessage[] }>;
  post(consultId: string, body: PostMessageBody): Promise<unknown>;
  receipt(consultId: string, receipt: MessageReceipt): Promise<unknown>;
  presence(consultId: string, update: PresenceUpdate): Promise<unknown>;
  deleteAll(consultId: string): Promise<unknown>;
  /** the doctor exported the transcript: the audit trail is told how many messages (never which) */
  transcriptExported(consultId: string, messages: number): Promise<unknown>;
};

export type ChatStore = {
  consultKeysOf(userId: string, consultId: string): Promise<StoredConsultKey[]>;
  outboxOf(userId: string, consultId: string): Promise<OutboxEntry[]>;
  sealIntoOutbox(input: SealInput): Promise<OutboxEntry>;
  removeFromOutbox(id: string): Promise<void>;
  setOutboxFailure(id: string, failed: string | undefined): Promise<void>;
  pinOf(myUserId: string, peerUserId: string): Promise<Pin | undefined>;
  /** a pin another device of this person kept for the consult's record (a restored backup, PROTOCOL §7.5) */
  historyPinOf(myUserId: string, consultId: string, spki: Uint8Array): Promise<Pin | undefined>;
  eraseConsultFromDevice(userId: string, consultId: string): Promise<void>;
  /** the key unsealed drafts are masked under in the tab (send-drafts.ts), made on first use */
  draftKeyOf(userId: string): Promise<CryptoKey>;
};

/** The page the chat runs in: whether the person can see it, handing them a file, and the tab's session storage. */
export type ChatPage = {
  visible(): boolean;
  saveText(name: string, text: string): void;
  /** kept across a reload of the tab: unsealed drafts wait there (undefined where storage is blocked) */
  tabStorage(): TabStorage | undefined;
};

export type ChatPorts = { api: ChatApi; store: ChatStore; clock: Clock; page: ChatPage };

export const browserChatPage: ChatPage = {
  visible: () => typeof document === "undefined" || document.visibilityState === "visible",
  saveText: (name, text) => saveBlob(new Blob([text], { type: "text/plain;charset=utf-8" }), name),
  tabStorage: browserTabStorage,
};

export const browserChatPorts: ChatPorts = {
  api: chatActions,
  store: { consultKeysOf, outboxOf, sealIntoOutbox, removeFromOutbox, setOutboxFailure, pinOf, historyPinOf, eraseConsultFromDevice, draftKeyOf },
  clock: systemClock,
  page: browserChatPage,
};
