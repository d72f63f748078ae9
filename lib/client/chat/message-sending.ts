// This device's messages from the press of Send to the server (PROTOCOL §4): shown as "sending" in
// the click's own task, sealed into the IndexedDB outbox (where each gets its seq), and posted by
// the outbox sender; a refused one is failed until the person retries it. Framework-free: the
// chat session (chat-session.ts) hands it the log, the key to seal under and when to re-render.
import type { MessageKind } from "@/lib/crypto";
import type { OutboxEntry, StoredConsultKey } from "../parley-db";
import type { ChatLog } from "./chat-log";
import type { ChatSessionOptions } from "./chat-state";
import { chatMark } from "./chat-timeline";
import type { ShownMessage } from "./message-body";
import { OutboxSender } from "./outbox-sender";

export type SendingHost = {
  readonly log: ChatLog;
  /** the consult key to seal under, when sending is allowed now */
  sealKey(): StoredConsultKey | undefined;
  render(): void;
};

export class MessageSending {
  private readonly outbox: OutboxSender;

  constructor(
    private readonly o: ChatSessionOptions,
    private readonly host: SendingHost,
  ) {
    const { api, store, clock } = o.ports;
    this.outbox = new OutboxSender({
      clock,
      entries: () => store.outboxOf(o.userId, o.consultId),
      post: (entry) => api.post(o.consultId, entry.body),
      sent: async (entry) => {
        await store.removeFromOutbox(entry.id);
        host.log.markSent(entry.id);
      },
      refused: async (entry, why) => {
        await store.setOutboxFailure(entry.id, why);
        host.log.markFailed(entry.id, why);
      },
      changed: () => host.render(),
    });
  }

  /**
   * Shows a message as "sending" at once (before anything is awaited, so in the frame of the
   * click), then seals it into the outbox, where it gets its seq, and posts it; false when sending
   * is not allowed or sealing failed (the message is gone from the screen again).
   */
  async send(kind: MessageKind, body: Uint8Array<ArrayBuffer>, shown: ShownMessage): Promise<boolean> {
    const { userId, consultId, identity } = this.o;
    const { log } = this.host;
    const key = this.host.sealKey();
    if (!key) return false;
    chatMark("send");
    // Random: an id must not tell the server when it was made (docs/protocol.md "Messages").
    const id = crypto.randomUUID();
    const sentAt = this.o.ports.clock.now();
    log.addSending({ id, senderDeviceId: identity.deviceId, senderUserId: userId }, shown.body, sentAt, shown.file);
    this.host.render();
    chatMark("shown");
    let entry: OutboxEntry;
    try {
      entry = await this.o.ports.store.sealIntoOutbox({ id, sentAt, userId, consultId, deviceId: identity.deviceId, identityKey: identity.privateKey, key, kind, body });
    } catch (err) {
      console.warn("[parley] chat: could not seal into the outbox:", err);
      log.drop(id);
      this.host.render();
      return false;
    }
    log.sequenced(id, entry.seq, entry.createdAt);
    this.host.render();
    void this.outbox.push(entry);
    return true;
  }

  /** The person retries a message the server refused. */
  async retry(id: string): Promise<void> {
    await this.o.ports.store.setOutboxFailure(id, undefined);
    this.host.log.markSending(id);
    this.host.render();
    void this.outbox.flush();
  }

  /** Everything in the outbox goes now (the history is loaded, the stream or the network is back). */
  flush(): void {
    void this.outbox.flush();
  }

  dispose(): void {
    this.outbox.dispose();
  }
}
