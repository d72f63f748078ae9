// This device's messages from the press of Send to the server (PROTOCOL §4): shown as "sending" and
// kept masked in the tab (send-drafts.ts) in the click's own task, sealed into the IndexedDB outbox
// (where each gets its seq), and posted by the outbox sender; a refused one is failed until the
// person retries it. What an earlier page of the tab left unsealed is shown again and sealed once
// sending is allowed. Framework-free: the chat session (chat-session.ts) hands it the log, the key
// to seal under and when to re-render.
import type { MessageKind } from "@/lib/crypto";
import type { OutboxEntry, StoredConsultKey } from "../parley-db";
import type { ChatLog } from "./chat-log";
import type { ChatSessionOptions } from "./chat-state";
import { chatMark } from "./chat-timeline";
import { shownMessage, type ShownMessage } from "./message-body";
import { OutboxSender } from "./outbox-sender";
import { draftsName, SendDrafts, type Draft } from "./send-drafts";

export type SendingHost = {
  readonly log: ChatLog;
  /** the consult key to seal under, when sending is allowed now */
  sealKey(): StoredConsultKey | undefined;
  render(): void;
};

export class MessageSending {
  private readonly outbox: OutboxSender;
  private readonly drafts: SendDrafts;
  /** drafts an earlier page left unsealed, shown, waiting until sending is allowed */
  private waiting: Draft[] = [];
  /** the page (or this room) is gone: drafts are left in the tab for the next one */
  private disposed = false;
  /** drafts an earlier page left, not yet checked against the outbox and the server */
  private readonly unchecked: Draft[] = [];
  /** settles once those drafts are checked and on screen (or wait for the server) */
  private readonly earlierShown: Promise<void>;

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
    this.drafts = new SendDrafts(draftsName(o.userId, o.consultId), o.ports.page.tabStorage(), () => store.draftKeyOf(o.userId));
    this.earlierShown = this.drafts.earlier.then(
      (left) => {
        this.unchecked.push(...left);
        return this.checkEarlier();
      },
      (err: unknown) => console.warn("[parley] chat: could not read what the last page left unsealed:", err),
    );
  }

  /**
   * Shows a message as "sending" at once (before anything is awaited, so in the frame of the
   * click), then seals it into the outbox, where it gets its seq, and posts it; false when sending
   * is not allowed or sealing failed (the message is gone from the screen again).
   */
  async send(kind: MessageKind, body: Uint8Array<ArrayBuffer>, shown: ShownMessage): Promise<boolean> {
    const key = this.host.sealKey();
    if (!key) return false;
    chatMark("send");
    // Random: an id must not tell the server when it was made (docs/protocol.md "Messages").
    const draft: Draft = { id: crypto.randomUUID(), sentAt: this.o.ports.clock.now(), kind, body };
    this.show(draft, shown);
    this.drafts.keep(draft);
    chatMark("shown");
    return this.seal(draft, key);
  }

  /** Sending is allowed (again): what an earlier page left unsealed is sealed now, in its order. */
  resume(): void {
    if (this.waiting.length === 0 || this.disposed) return;
    const key = this.host.sealKey();
    if (!key) return;
    for (const d of this.waiting.splice(0)) void this.seal(d, key);
  }

  /** The consult is removed from this device: so are its unsealed drafts. */
  forgetDrafts(): void {
    this.waiting = [];
    this.drafts.clear();
  }

  private show(d: Draft, shown: ShownMessage): void {
    const { userId, identity } = this.o;
    this.host.log.addSending({ id: d.id, senderDeviceId: identity.deviceId, senderUserId: userId }, shown.body, d.sentAt, shown.file);
    this.host.render();
  }

  private async seal(d: Draft, key: StoredConsultKey): Promise<boolean> {
    const { userId, consultId, identity } = this.o;
    const { log } = this.host;
    let entry: OutboxEntry;
    try {
      entry = await this.o.ports.store.sealIntoOutbox({ ...d, userId, consultId, deviceId: identity.deviceId, identityKey: identity.privateKey, key });
    } catch (err) {
      console.warn("[parley] chat: could not seal into the outbox:", err);
      this.drafts.sealed(d.id);
      log.drop(d.id);
      this.host.render();
      return false;
    }
    // In the task the outbox write completed in: from here a reload finds it in the outbox.
    this.drafts.sealed(d.id);
    log.sequenced(d.id, entry.seq, entry.createdAt);
    this.host.render();
    void this.outbox.push(entry);
    return true;
  }

  /**
   * What an earlier page of this tab left unsealed: checked, then shown as sending again and sealed
   * when allowed. A draft whose sealed copy was stored after all (the page went between the outbox write and the
   * draft's removal) must not be sealed again. A sealed message stays in the outbox until the server
   * has it, so one read in this order, the outbox and then the server, tells: in neither, never
   * sealed. Without the server (offline) the drafts wait for the next flush.
   */
  private async checkEarlier(): Promise<void> {
    if (this.unchecked.length === 0) return;
    const { userId, consultId } = this.o;
    let sealed: Set<string>;
    try {
      const queued = await this.o.ports.store.outboxOf(userId, consultId);
      const { messages } = await this.o.ports.api.list(consultId);
      sealed = new Set([...queued, ...messages].map((m) => m.id));
    } catch {
      return;
    }
    if (this.disposed) return;
    for (const d of this.unchecked.splice(0)) {
      let shown: ShownMessage | undefined;
      try {
        shown = sealed.has(d.id) || this.host.log.has(d.id) ? undefined : shownMessage(d);
      } catch {
        shown = undefined; // not a message this device could have made
      }
      if (!shown) {
        this.drafts.sealed(d.id);
        continue;
      }
      this.show(d, shown);
      this.waiting.push(d);
    }
    this.resume();
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
    void this.checkEarlier();
    void this.outbox.flush();
  }

  dispose(): void {
    this.disposed = true;
    this.outbox.dispose();
  }
}
