// The room's runtime: the sessions a consult page runs, and the typed links between them.
//   RoomSession (the consult's state, the event stream, the actions)
//     ├─ signals ─────────▶ RoomCall (lib/rtc/call.ts per counterpart)
//     ├─ messages, presence ▶ ChatSession ◀─ chain heads, verification, key epoch ─▶ RoomCall
//     └─ document states ──▶ FileTransfers ◀─ notices, "may send" ─ ChatSession
// Nothing here touches React: room.tsx reads each part through useSyncExternalStore
// (use-room-runtime.ts). The constructor has no side effects; start() and stop() may run again
// (React's strict mode does), and the identity and local media arrive when the page has them.
import type { RoomSnapshot } from "@/lib/shared/api";
import type { ClientSettings } from "@/lib/shared/settings";
import type { DeviceKeys } from "@/lib/rtc/handshake";
import type { DeviceIdentity } from "../parley-db";
import { callInProgress } from "../idle-logoff";
import { copyHeldKeys } from "../key-copies";
import { Published } from "../store";
import { ChatSession, type ChatInput, type ChatState } from "../chat/chat-session";
import { browserChatPorts } from "../chat/chat-ports";
import { FileTransfers, browserFilePorts, type FilePorts, type FilesInput, type FilesState } from "../files/file-transfers";
import type { ChatPorts } from "../chat/chat-ports";
import type { Clock } from "../clock";
import { RoomSession, browserRoomPorts, type RoomPorts } from "./room-session";
import { RoomCall, type CallFactory, type CallInput } from "./room-call";
import { peopleOf, roomFacts } from "./room-facts";

export type LocalMediaState = { stream?: MediaStream; settled: boolean };

/** The runtime's I/O: the browser's by default, fakes in unit tests. */
export type RuntimePorts = {
  room: RoomPorts;
  chat: ChatPorts;
  files: FilePorts;
  newCall?: CallFactory;
  clock?: Clock;
  /** copies the keys this device made into the person's backup, when there is one (PROTOCOL §7.3) */
  backUp?: (userId: string, deviceId: string, consultId: string) => Promise<unknown>;
};

export const browserRuntimePorts: RuntimePorts = {
  room: browserRoomPorts,
  chat: browserChatPorts,
  files: browserFilePorts,
  backUp: (userId, deviceId, consultId) => copyHeldKeys(userId, deviceId, { consultNow: consultId }),
};

/** What the chat panel can do (a session's, or nothing before there is one). */
export type ChatActions = Pick<ChatSession, "send" | "sendFile" | "retry" | "noteTyping" | "exportTranscript" | "eraseFromDevice" | "deleteOnServer">;
export type FileActions = Pick<FileTransfers, "send" | "cancel" | "retry" | "isLocalUpload" | "download" | "stopDownload" | "preview">;

const NO_CHAT: ChatState = { items: [], loaded: false, block: "no-identity", notVerified: false, peerTyping: false, brokenLinks: 0 };

export class RoomRuntime {
  readonly room: RoomSession;
  readonly call: RoomCall;
  /** the chat's state (a session exists once this device has its identity) */
  readonly chatView = new Published<ChatState>(NO_CHAT);
  readonly filesView: Published<FilesState>;
  readonly chatActions: ChatActions = {
    send: (text) => this.chat?.send(text) ?? Promise.resolve(false),
    sendFile: (notice) => this.chat?.sendFile(notice) ?? Promise.resolve(false),
    retry: (id) => this.chat?.retry(id) ?? Promise.resolve(),
    noteTyping: () => this.chat?.noteTyping(),
    exportTranscript: () => this.chat?.exportTranscript(),
    eraseFromDevice: () => this.chat?.eraseFromDevice() ?? Promise.resolve(),
    deleteOnServer: () => this.chat?.deleteOnServer() ?? Promise.resolve(undefined),
  };
  readonly fileActions: FileActions = {
    send: (files) => this.files?.send(files),
    cancel: (id) => this.files?.cancel(id),
    retry: (id) => this.files?.retry(id),
    isLocalUpload: (id) => this.files?.isLocalUpload(id) ?? false,
    download: (id) => this.files?.download(id) ?? Promise.resolve(),
    stopDownload: (id) => this.files?.stopDownload(id),
    preview: (id) => this.files?.preview(id) ?? Promise.resolve(undefined),
  };
  private chat: ChatSession | undefined;
  private files: FileTransfers | undefined;
  private keys: DeviceKeys | undefined;
  private identity: (DeviceIdentity & { deviceId: string }) | undefined;
  private local: LocalMediaState = { settled: false };
  private unlink: (() => void)[] = [];
  private running = false;
  /** the key epoch and invite-link fragment last seen: a new one means a new key to back up */
  private seenKeys = "";
  private backingUp: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly snapshot: RoomSnapshot,
    private readonly settings: ClientSettings,
    private readonly ports: RuntimePorts = browserRuntimePorts,
  ) {
    this.room = new RoomSession(snapshot, ports.room);
    this.call = new RoomCall({
      consultId: snapshot.consult.id,
      userId: snapshot.userId,
      initiator: snapshot.me.role === "doctor",
      settings,
      signals: this.room.signals,
      onChainHead: (h) => this.chat?.peerChainHead(h),
      onLive: (live) => callInProgress.set(live),
      newCall: ports.newCall,
      clock: ports.clock,
    });
    this.filesView = new Published<FilesState>({ items: [], incoming: [], blocked: true, maxFileBytes: settings.maxFileBytes });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { consult, userId } = this.snapshot;
    const files = new FileTransfers({
      consultId: consult.id,
      userId,
      maxFileBytes: this.settings.maxFileBytes,
      chat: { sendFile: this.chatActions.sendFile },
      ports: this.ports.files,
    });
    this.files = files;
    this.unlink = [
      this.room.subscribe(() => this.link()),
      this.call.subscribe(() => this.chat?.update(this.chatInput())),
      this.room.subscribe(() => this.backUpNewKeys()),
      this.call.subscribe(() => this.backUpNewKeys()),
      this.room.chatEvents.listen((e) => this.chat?.receive(e)),
      this.room.fileEvents.listen((e) => files.receive(e)),
      files.subscribe(() => this.filesView.publish(files.state())),
    ];
    this.startChat();
    this.room.start();
    this.link();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const u of this.unlink) u();
    this.unlink = [];
    this.room.stop();
    this.call.dispose();
    this.stopChat();
    this.files?.dispose();
    this.files = undefined;
  }

  /** This device's identity is ready (registered: it has a device id), or not. */
  setIdentity(identity: DeviceIdentity | undefined): void {
    if (identity && identity.spki !== this.identity?.spki) this.room.setIdentity(identity.spki);
    const deviceId = identity?.deviceId;
    if (identity === this.identity || (!deviceId && !this.identity)) return;
    this.stopChat();
    this.identity = identity && deviceId ? { ...identity, deviceId } : undefined;
    this.keys = identity && deviceId ? { privateKey: identity.privateKey, spki: identity.spki, deviceId } : undefined;
    this.startChat();
    this.link();
    this.backUpNewKeys(true);
  }

  /**
   * A key this device just made (a consult key epoch, a name key for the invite link) joins the
   * person's backup; and once per page, whatever an earlier page could not copy. One at a time.
   */
  private backUpNewKeys(always = false): void {
    const deviceId = this.identity?.deviceId;
    const backUp = this.ports.backUp;
    if (!this.running || !deviceId || !backUp || this.snapshot.me.role !== "doctor") return;
    const seen = `${this.call.state().snapshot.e2ee.consultKeyEpoch ?? ""}|${this.room.state().linkFragment ?? ""}`;
    if (!always && seen === this.seenKeys) return;
    this.seenKeys = seen;
    const { userId, consult } = this.snapshot;
    this.backingUp = this.backingUp.then(() => backUp(userId, deviceId, consult.id)).catch(() => undefined);
  }

  /** The browser is back online: the chat's outbox goes now. */
  online(): void {
    this.chat?.online();
  }

  /** The page was shown or hidden: receipts turn "read", the other side sees this person away or back. */
  visibilityChanged(): void {
    this.chat?.visibilityChanged();
  }

  setLocalMedia(local: LocalMediaState): void {
    if (local.stream === this.local.stream && local.settled === this.local.settled) return;
    this.local = local;
    this.link();
  }

  private startChat(): void {
    const identity = this.identity;
    if (!this.running || !identity || this.chat) return;
    const chat = new ChatSession({
      consultId: this.snapshot.consult.id,
      userId: this.snapshot.userId,
      identity,
      ports: this.ports.chat,
      setChainHead: (h) => this.call.setChainHead(h),
    });
    this.chat = chat;
    const stop = chat.subscribe(() => {
      this.chatView.publish(chat.state());
      this.files?.update(this.filesInput());
    });
    this.stopChat = () => {
      stop();
      chat.dispose();
      this.chat = undefined;
      this.chatView.publish(NO_CHAT);
      this.stopChat = () => undefined;
    };
  }

  private stopChat: () => void = () => undefined;

  /** The room changed: each session hears what it depends on. */
  private link(): void {
    if (!this.running) return;
    const state = this.room.state();
    const facts = roomFacts(state);
    const waitingFor = facts.present && !facts.isDoctor && state.me.state === "waiting" ? facts.doctor?.id : undefined;
    const callInput: CallInput = { other: facts.inConsult ? facts.other : undefined, keys: this.keys, local: this.local, waitingFor };
    this.call.update(callInput);
    this.chat?.update(this.chatInput());
    this.files?.update(this.filesInput());
  }

  private chatInput(): ChatInput {
    const state = this.room.state();
    const { isDoctor, inConsult, other, patient, readable } = roomFacts(state);
    const e2ee = this.call.state().snapshot.e2ee;
    return {
      people: peopleOf(state, this.snapshot),
      other: other ? { id: other.id, userId: other.userId, online: other.online } : undefined,
      myParticipantId: state.me.id,
      e2ee: e2ee.status,
      keyEpoch: e2ee.consultKeyEpoch,
      trustOnFirstUse: this.settings.trustOnFirstUse,
      active: inConsult,
      readable,
      streamOpen: state.stream === "open",
      consultLabel: isDoctor ? `with ${patient?.displayName ?? "a patient"}` : `with ${this.snapshot.consult.doctorName}`,
    };
  }

  private filesInput(): FilesInput {
    const state = this.room.state();
    const chat = this.chatView.get();
    return { chatItems: chat.items, blocked: !!chat.block, readable: roomFacts(state).readable, myParticipantId: state.me.id };
  }
}
