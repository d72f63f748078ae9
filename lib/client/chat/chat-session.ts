// The room's chat (PROTOCOL §4), framework-free: loads and opens the stored history on (re)entry,
// opens each message that arrives on the event stream, sends what the person types
// (message-sending.ts: shown at once, sealed into the outbox, posted), sends receipts, presence and
// typing, exchanges chain heads with the call, exports the transcript, and removes the consult
// from this device or (the doctor) its ciphertext from the server. The room hands it what changes
// (`update`) and the events of the stream (`receive`); React reads `state` (lib/client/room/use-room-runtime.ts).
import { encodeFileNotice, fromBase64Url, toBase64Url, toHex, utf8, type FileNotice } from "@/lib/crypto";
import { messageReceiptBody, storedMessage, type StoredMessage, type StreamEvent } from "@/lib/shared/api";
import type { ChainHeadMessage } from "@/lib/rtc/messages";
import type { StoredConsultKey } from "../parley-db";
import { PeerPins } from "./peer-pins";
import { Published } from "../store";
import { ChatLog, NO_KEY } from "./chat-log";
import { transcript } from "./transcript";
import { shownMessage } from "./message-body";
import { openStored, showOutbox, type OpenerContext } from "./message-opener";
import { MessageSending } from "./message-sending";
import { ReceiptSender } from "./receipt-sender";
import { sendBlock, type ChatSendBlock } from "./send-block";
import { TypingPresence, type PeerPresence } from "./typing-presence";
import type { ChatInput, ChatSessionOptions, ChatState } from "./chat-state";

/** How long a peer's chain head may run ahead of what the server delivered before it counts as withheld. */
const HEAD_GRACE_MS = 3_000;
export type { ChatInput, ChatSendBlock, ChatSessionOptions, ChatState, PeerPresence };

export class ChatSession {
  private readonly log: ChatLog;
  private readonly view = new Published<ChatState>({ items: [], loaded: false, notVerified: false, peerTyping: false, brokenLinks: 0 });
  private readonly sending: MessageSending;
  private readonly receipts: ReceiptSender;
  private input: ChatInput | undefined;
  private keys = new Map<string, StoredConsultKey>();
  private current: StoredConsultKey | undefined;
  private readonly pins: PeerPins;
  /** the last history load did not finish (offline at (re)entry): it is tried again when back */
  private historyFailed = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly typing: TypingPresence;
  private disposed = false;
  readonly state = this.view.get;
  readonly subscribe = this.view.subscribe;

  constructor(private readonly o: ChatSessionOptions) {
    const { api, store, clock, page } = o.ports;
    this.log = new ChatLog(o.identity.deviceId);
    this.pins = new PeerPins(
      (peer) => store.pinOf(o.userId, peer),
      () => this.render(),
    );
    this.sending = new MessageSending(o, {
      log: this.log,
      sealKey: () => (this.view.get().block ? undefined : this.current),
      render: () => this.render(),
    });
    this.typing = new TypingPresence({
      clock,
      send: (update) => this.presence(update),
      changed: (peer) => this.view.publish({ ...this.view.get(), ...peer }),
      peerReopened: () => this.receipts.resend(),
    });
    this.receipts = new ReceiptSender(this.log, { clock, visible: () => page.visible(), active: () => !!this.input?.active, send: (r) => api.receipt(o.consultId, r) });
  }

  /** The room changed: what depends on it is reloaded, sent or re-read. */
  update(next: ChatInput): void {
    const prev = this.input;
    this.input = next;
    if (next.readable && (prev?.readable !== next.readable || prev.active !== next.active)) {
      void this.loadHistory().then(() => (this.input?.active ? this.sending.flush() : undefined));
    }
    // A new key epoch arrived in the call: messages sealed under it can be opened now.
    if (next.keyEpoch !== undefined && prev?.keyEpoch !== next.keyEpoch) {
      void this.serial(() => this.loadKeys()).then(() => (this.log.retryable().length > 0 ? this.loadHistory() : undefined));
    }
    // The stream reconnected: whatever is in the outbox goes now.
    if (next.streamOpen && prev?.streamOpen !== true) this.reconnected();
    if (prev?.other?.userId !== next.other?.userId || prev?.e2ee !== next.e2ee) this.pins.refresh(next.other?.userId);
    // Called on every render of the room: show something new only when who may send changed.
    if (prev?.active !== next.active || prev.e2ee !== next.e2ee || prev.trustOnFirstUse !== next.trustOnFirstUse) this.render();
  }

  /** A message or presence event from the room's stream. */
  receive(e: StreamEvent): void {
    const me = this.input?.myParticipantId;
    if (e.kind === "message" && e.type === "new") {
      const m = storedMessage.safeParse(e.payload);
      if (!m.success) return;
      if (e.from === this.input?.other?.id) this.typing.peerSent();
      void this.serial(async () => {
        await this.open(m.data);
        this.render();
        this.receipts.schedule();
      });
    } else if (e.kind === "message" && e.type === "receipt" && e.from !== me) {
      const r = messageReceiptBody.safeParse(e.payload);
      if (!r.success || r.data.senderDeviceId !== this.o.identity.deviceId) return;
      this.log.applyReceipt(r.data.seq, r.data.state);
      this.render();
    } else if (e.kind === "message" && e.type === "deleted") {
      void this.serial(() => this.cleared(e.from === me ? "You deleted this consult's messages from the server." : "The doctor deleted this consult's messages from the server."));
    } else if (e.kind === "presence" && e.from !== me && e.from === this.input?.other?.id) {
      this.typing.receive(e);
    }
  }

  /** The peer's chain head, from the call's checked data channel. */
  peerChainHead(h: ChainHeadMessage): void {
    const userOf = this.input?.other?.userId ?? "";
    const claim = async () => {
      let hash: Uint8Array;
      try {
        hash = fromBase64Url(h.hash);
      } catch {
        return;
      }
      await this.log.setClaimedHead(h.deviceId, userOf, h.seq, hash, this.o.ports.clock.now());
      this.render();
    };
    // Give the stream a moment: the head often outruns the message it counts.
    this.o.ports.clock.setTimeout(() => {
      if (this.disposed) return;
      void (this.log.contiguous(h.deviceId) >= h.seq ? this.serial(claim) : this.loadHistory().then(() => this.serial(claim)));
    }, HEAD_GRACE_MS);
  }

  /** Back online: the outbox goes now. */
  online(): void {
    this.reconnected();
  }

  /** Receipts turn "read" when the page is shown; the other side sees us as away when it is hidden. */
  visibilityChanged(): void {
    this.receipts.schedule();
    if (this.input?.active) this.presence({ status: this.o.ports.page.visible() ? "online" : "away", typing: false });
  }

  send = async (text: string): Promise<boolean> => {
    const body = text.trim();
    if (!body || !(await this.sending.send("text", utf8(body), { body }))) return false;
    this.typing.sent();
    return true;
  };

  /** Announces an uploaded document to the consult (PROTOCOL §5): a sealed message of kind `file`. */
  sendFile = (notice: FileNotice): Promise<boolean> => {
    const body = encodeFileNotice(notice);
    return this.sending.send("file", body, shownMessage({ kind: "file", body }));
  };

  retry = (id: string): Promise<void> => this.sending.retry(id);

  noteTyping = (): void => {
    if (!this.view.get().block) this.typing.typed();
  };

  exportTranscript = (): void => {
    const { consultId, userId } = this.o;
    const people = this.input?.people ?? [];
    const text = transcript({
      consultId,
      consultLabel: this.input?.consultLabel ?? "",
      items: this.log.items(),
      people,
      exportedAt: new Date(this.o.ports.clock.now()),
      exportedBy: people.find((p) => p.userId === userId)?.name ?? "this device",
      verification: this.input?.e2ee === "verified" || this.pins.verified ? "verified" : "not-verified",
      brokenLinks: this.log.brokenLinks().length,
    });
    this.o.ports.page.saveText(`parley-consult-${consultId.slice(0, 8)}-transcript.txt`, text);
    const messages = this.log.items().filter((i) => i.type === "message").length;
    this.o.ports.api.transcriptExported(consultId, messages).catch(() => undefined);
  };

  eraseFromDevice = (): Promise<void> =>
    this.serial(async () => {
      await this.o.ports.store.eraseConsultFromDevice(this.o.userId, this.o.consultId);
      this.sending.forgetDrafts();
      this.keys = new Map();
      this.current = undefined;
      this.log.clear();
      this.render();
    });

  /** Deletes the consult's messages on the server; the reason when it could not. */
  deleteOnServer = async (): Promise<string | undefined> => {
    try {
      await this.o.ports.api.deleteAll(this.o.consultId);
      // The stream says so too (to everyone in the room); after the consult there is no stream.
      await this.serial(() => this.cleared("You deleted this consult's messages from the server."));
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : "The messages could not be deleted. Try again.";
    }
  };

  dispose(): void {
    this.disposed = true;
    this.sending.dispose();
    this.receipts.dispose();
    this.typing.dispose();
  }

  /** Runs chat work strictly one after another (chains are order-sensitive). */
  private serial(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(() => (this.disposed ? undefined : fn())).catch((err: unknown) => console.warn("[parley] chat:", err));
    return this.queue;
  }

  private async loadKeys(): Promise<void> {
    const held = await this.o.ports.store.consultKeysOf(this.o.userId, this.o.consultId);
    this.keys = new Map(held.map((k) => [toHex(k.keyId), k]));
    // Keys opened from a backup or another device's copy are for reading (PROTOCOL §7.1).
    this.current = held.find((k) => !k.restored);
    this.render();
  }

  /** Back in touch with the server: a history that could not be loaded is loaded now, then the outbox goes. */
  private reconnected(): void {
    if (this.historyFailed && this.input?.readable) void this.loadHistory().then(() => (this.input?.active ? this.sending.flush() : undefined));
    else this.sending.flush();
  }

  private loadHistory(): Promise<void> {
    return this.serial(async () => {
      this.historyFailed = true; // until it is all in
      await this.loadKeys();
      const { messages } = await this.o.ports.api.list(this.o.consultId);
      const retry = new Set(this.log.retryable().map((r) => r.id));
      for (const m of messages) {
        if (this.log.has(m.id) && !retry.has(m.id)) continue;
        this.log.forget(m.id);
        await this.open(m);
      }
      await showOutbox(this.opener(), await this.o.ports.store.outboxOf(this.o.userId, this.o.consultId));
      this.historyFailed = false;
      this.view.publish({ ...this.view.get(), loaded: true });
      this.render();
      this.receipts.schedule();
    });
  }

  private async open(m: StoredMessage): Promise<void> {
    await openStored(this.opener(), m);
    const me = this.o.identity.deviceId;
    if (m.senderDeviceId !== me) return;
    const head = await this.log.head(me);
    if (head) this.o.setChainHead({ deviceId: me, seq: head.seq, hash: toBase64Url(head.hash) });
  }

  private opener(): OpenerContext {
    const { consultId, userId, identity } = this.o;
    return {
      consultId,
      userId,
      identity,
      log: this.log,
      keys: this.keys,
      pinOf: (peer) => this.pins.of(peer),
      historyPinOf: (spki) => this.o.ports.store.historyPinOf(userId, consultId, spki),
    };
  }

  private cleared(notice: string): Promise<void> {
    this.log.clear();
    this.view.publish({ ...this.view.get(), notice });
    this.render();
    return Promise.resolve();
  }

  private presence(update: { status: "online" | "away"; typing: boolean }): void {
    void this.o.ports.api.presence(this.o.consultId, update).catch(() => undefined);
  }

  private render(): void {
    if (this.disposed) return;
    const input = this.input;
    const current = this.current;
    const keyProvisional = !!(current?.provisional || current?.handover?.provisional);
    const { block, tofu } = sendBlock({ input, pinVerified: this.pins.verified, hasKey: !!current, keyProvisional });
    const items = this.log.items();
    const noKeyHere = this.keys.size === 0 && items.some((i) => i.type === "message" && i.problem === NO_KEY);
    this.view.publish({ ...this.view.get(), items, block, notVerified: !block && tofu, brokenLinks: this.log.brokenLinks().length, noKeyHere });
    // What the last page of this tab left unsealed goes once sending is allowed.
    if (!block) this.sending.resume();
  }
}
