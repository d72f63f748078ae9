// What a chat session (chat-session.ts) is given and what it shows.
import type { ChainHeadMessage } from "@/lib/rtc/messages";
import type { E2eeStatus } from "@/lib/rtc/call-state";
import type { DeviceIdentity } from "../parley-db";
import type { ChatItem } from "./chat-log";
import type { TranscriptPerson } from "./transcript";
import type { ChatSendBlock } from "./send-block";
import type { PeerPresence } from "./typing-presence";
import type { ChatPorts } from "./chat-ports";

/** What the room tells the chat, again whenever it changes. */
export type ChatInput = {
  /** the people of the consult, by user id (names in the chat and the transcript) */
  people: TranscriptPerson[];
  /** the other participant, when there is one */
  other: { id: string; userId: string; online: boolean } | undefined;
  myParticipantId: string;
  /** the call's verification state (PROTOCOL §3 gates sending on it) */
  e2ee: E2eeStatus;
  /** the epoch of the consult key the call last sent or received (a new one means: reload keys) */
  keyEpoch: number | undefined;
  trustOnFirstUse: boolean;
  /** the room is live and this person is in it (sending, receipts, presence) */
  active: boolean;
  /** the history may be loaded (in the consult, or the doctor after it) */
  readable: boolean;
  /** the event stream is open (a reconnect means: flush the outbox now) */
  streamOpen: boolean;
  consultLabel: string;
};

export type ChatState = {
  items: ChatItem[];
  loaded: boolean;
  notice?: string;
  block?: ChatSendBlock;
  /** sending is allowed only on trust on first use: the room says "not verified" */
  notVerified: boolean;
  peerTyping: boolean;
  peerPresence?: PeerPresence;
  brokenLinks: number;
  /** the record has messages, and this device holds no key for any of them (another device ran the consult) */
  noKeyHere?: boolean;
};

export type ChatSessionOptions = {
  consultId: string;
  userId: string;
  identity: DeviceIdentity & { deviceId: string };
  ports: ChatPorts;
  /** this device's chain head changed: the call tells the peer (lib/rtc/verification.ts) */
  setChainHead(head: Omit<ChainHeadMessage, "type">): void;
};
