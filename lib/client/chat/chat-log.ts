// The consult's chat as this device sees it (PROTOCOL §4), with no I/O: messages opened or found
// unverifiable, this device's own messages from "sending" to "read", each sender device's chain
// (duplicates dropped, order by seq, a missing seq shown as a gap, a broken link shown as such),
// and the chain heads the peer announced over the call's data channel, so a message the server
// withholds at the end shows as missing rather than silently absent. lib/client/chat/chat-session.ts
// feeds it; components render `items()`.
import { equal, SenderChain, type ChatMessage, type FileNotice } from "@/lib/crypto";

export type ChatState = "sending" | "sent" | "delivered" | "read" | "failed" | "unverifiable";

/** Where a message sits in its sender's chain, as the stored header says (before any opening). */
export type MessageMeta = { id: string; senderDeviceId: string; senderUserId: string; seq: number; /** server time, ms */ storedAt: number };

export type ChatMessageItem = {
  type: "message";
  id: string;
  senderDeviceId: string;
  senderUserId: string;
  seq: number;
  mine: boolean;
  /** the decrypted text (undefined when it could not be opened); for a document, a line about it */
  body?: string;
  /** a document's announcement (PROTOCOL §5): what fetching and checking it needs */
  file?: FileNotice;
  /** the sender's clock for opened messages, the server's otherwise */
  at: number;
  state: ChatState;
  /** why a message is unverifiable or failed, for people */
  problem?: string;
  /** the sender's key was compared (call code or safety number), not only trusted on first use */
  senderVerified: boolean;
  /** sealed under a consult key that went to a device on trust, before the codes were compared */
  provisional?: boolean;
};

export type ChatGapItem = {
  type: "gap";
  id: string;
  senderDeviceId: string;
  senderUserId: string;
  from: number;
  to: number;
  /** announced by the sender's chain head but never delivered by the server */
  withheld: boolean;
  at: number;
};

export type ChatItem = ChatMessageItem | ChatGapItem;

/** The seq of a message of this device shown the moment it was sent, before sealing gave it its seq. */
export const UNSEQUENCED = -1;

type DeviceChain = { userId: string; chain: SenderChain; seqs: Set<number>; broken: Set<number>; claimed?: { seq: number; hash: Uint8Array; at: number } };

const RANK: Record<ChatState, number> = { failed: 0, unverifiable: 0, sending: 1, sent: 2, delivered: 3, read: 4 };

export class ChatLog {
  /** each message's item, replaced (never changed in place) when it changes, so unchanged items keep their identity for the screen */
  private readonly entries = new Map<string, ChatMessageItem>();
  /** when the server (or, for this device's messages, the outbox) has each message, ms */
  private readonly storedAt = new Map<string, number>();
  private readonly devices = new Map<string, DeviceChain>();
  /** receipts for this device's messages: the highest seq the other side has decrypted / shown */
  private readonly receipts = { delivered: -1, read: -1 };

  constructor(private readonly myDeviceId: string) {}

  private device(deviceId: string, userId: string): DeviceChain {
    let d = this.devices.get(deviceId);
    if (!d) {
      d = { userId, chain: new SenderChain(), seqs: new Set(), broken: new Set() };
      this.devices.set(deviceId, d);
    }
    return d;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  private put(meta: MessageMeta, item: ChatMessageItem): void {
    this.entries.set(meta.id, item);
    this.storedAt.set(meta.id, meta.storedAt);
  }

  /** This device's message, sealed and in the outbox: shown as "sending". */
  addPending(meta: MessageMeta, body: string, sentAt: number, failed?: string, file?: FileNotice): void {
    const existing = this.entries.get(meta.id);
    if (existing?.seq === UNSEQUENCED) return this.sequenced(meta.id, meta.seq, meta.storedAt);
    if (existing) return;
    this.device(meta.senderDeviceId, meta.senderUserId).seqs.add(meta.seq);
    const { storedAt: _storedAt, ...where } = meta;
    this.put(meta, { type: "message", ...where, mine: true, body, file, at: sentAt, state: failed ? "failed" : "sending", problem: failed, senderVerified: true });
  }

  /**
   * This device's message the moment it is sent, before it is sealed: shown at once as "sending",
   * after this device's other messages; sealing gives it its seq (`sequenced`) or fails (`drop`).
   */
  addSending(who: { id: string; senderDeviceId: string; senderUserId: string }, body: string, sentAt: number, file?: FileNotice): void {
    if (this.entries.has(who.id)) return;
    this.entries.set(who.id, { type: "message", ...who, seq: UNSEQUENCED, mine: true, body, file, at: sentAt, state: "sending", senderVerified: true });
  }

  /** A message shown by `addSending` is sealed into the outbox as `seq`. */
  sequenced(id: string, seq: number, storedAt: number): void {
    const e = this.entries.get(id);
    if (e?.seq !== UNSEQUENCED) return;
    this.device(e.senderDeviceId, e.senderUserId).seqs.add(seq);
    this.put({ id, senderDeviceId: e.senderDeviceId, senderUserId: e.senderUserId, seq, storedAt }, { ...e, seq });
  }

  /** A message shown by `addSending` could not be sealed: it goes (the person gets the text back). */
  drop(id: string): void {
    if (this.entries.get(id)?.seq === UNSEQUENCED) this.entries.delete(id);
  }

  /**
   * A stored message that opened and verified. Returns false for a duplicate (same id). A second
   * message for a seq that already has one, or a link that does not chain, marks the seq broken.
   */
  async addOpened(meta: MessageMeta, message: ChatMessage, p: Uint8Array, body: string, senderVerified: boolean, file?: FileNotice, provisional = false): Promise<boolean> {
    const existing = this.entries.get(meta.id);
    const d = this.device(meta.senderDeviceId, meta.senderUserId);
    const events = await d.chain.add(message, p);
    if (events.some((e) => e.type === "duplicate")) {
      // Our own pending message coming back from the server: it is stored, so at least "sent".
      if (existing?.mine && existing.state === "sending") this.entries.set(meta.id, { ...existing, state: "sent" });
      return false;
    }
    if (existing && existing.state !== "sending" && existing.state !== "failed") return false;
    for (const e of events) if (e.type === "broken-chain") d.broken.add(Number(e.seq));
    d.seqs.add(meta.seq);
    const mine = meta.senderDeviceId === this.myDeviceId;
    const { storedAt: _storedAt, ...where } = meta;
    this.put(meta, {
      type: "message",
      ...where,
      mine,
      body,
      file,
      at: Number(message.sentAt),
      state: mine ? this.myState(meta.seq, "sent") : "delivered",
      senderVerified,
      ...(provisional ? { provisional } : {}),
    });
    return true;
  }

  /** A stored message that failed to decrypt or verify: shown as such, never dropped. */
  addUnverifiable(meta: MessageMeta, problem: string): boolean {
    const existing = this.entries.get(meta.id);
    if (existing && existing.state !== "sending") return false;
    this.device(meta.senderDeviceId, meta.senderUserId).seqs.add(meta.seq);
    const { storedAt, ...where } = meta;
    this.put(meta, { type: "message", ...where, mine: meta.senderDeviceId === this.myDeviceId, at: storedAt, state: "unverifiable", problem, senderVerified: false });
    return true;
  }

  /** Forget an unverifiable entry so it can be opened again (its key arrived later). */
  retryable(): MessageMeta[] {
    return [...this.entries.values()]
      .filter((e) => e.state === "unverifiable" && e.problem === NO_KEY)
      .map(({ id, senderDeviceId, senderUserId, seq }) => ({ id, senderDeviceId, senderUserId, seq, storedAt: this.storedAt.get(id) ?? 0 }));
  }

  forget(id: string): void {
    const e = this.entries.get(id);
    if (e?.state === "unverifiable") this.entries.delete(id);
  }

  markSent(id: string): void {
    const e = this.entries.get(id);
    if (e?.mine && (e.state === "sending" || e.state === "failed")) this.entries.set(id, { ...e, state: this.myState(e.seq, "sent"), problem: undefined });
  }

  markFailed(id: string, problem: string): void {
    const e = this.entries.get(id);
    if (e?.mine && e.state === "sending") this.entries.set(id, { ...e, state: "failed", problem });
  }

  markSending(id: string): void {
    const e = this.entries.get(id);
    if (e?.mine && e.state === "failed") this.entries.set(id, { ...e, state: "sending", problem: undefined });
  }

  /** The other side decrypted (delivered) or showed (read) this device's messages up to `seq`. */
  applyReceipt(seq: number, state: "delivered" | "read"): void {
    if (state === "read") this.receipts.read = Math.max(this.receipts.read, seq);
    this.receipts.delivered = Math.max(this.receipts.delivered, seq, this.receipts.read);
    for (const [id, e] of this.entries) {
      if (!e.mine || e.state === "sending" || e.state === "failed" || e.state === "unverifiable") continue;
      const next = this.myState(e.seq, e.state);
      if (next !== e.state) this.entries.set(id, { ...e, state: next });
    }
  }

  private myState(seq: number, floor: ChatState): ChatState {
    const fromReceipts: ChatState = seq <= this.receipts.read ? "read" : seq <= this.receipts.delivered ? "delivered" : "sent";
    return RANK[fromReceipts] > RANK[floor] ? fromReceipts : floor;
  }

  /** The peer's announced chain head: messages up to it exist, whether or not the server delivered them. */
  async setClaimedHead(deviceId: string, userId: string, seq: number, hash: Uint8Array, at: number): Promise<void> {
    const d = this.device(deviceId, userId);
    if (!d.claimed || seq >= d.claimed.seq) d.claimed = { seq, hash: new Uint8Array(hash), at };
    const head = await d.chain.head();
    if (head && Number(head.seq) === seq && !equal(head.hash, hash)) d.broken.add(seq);
  }

  /** The device's chain head as this device holds it: the highest opened seq and the hash of its P. */
  async head(deviceId: string): Promise<{ seq: number; hash: Uint8Array } | undefined> {
    const h = await this.devices.get(deviceId)?.chain.head();
    return h ? { seq: Number(h.seq), hash: h.hash } : undefined;
  }

  /** The highest seq up to which every message of that device is here (what a receipt may claim). */
  contiguous(deviceId: string): number {
    const d = this.devices.get(deviceId);
    let n = -1;
    while (d?.seqs.has(n + 1)) n++;
    return n;
  }

  /** Devices other than this one that sent messages (whose receipts this device owes). */
  senders(): string[] {
    return [...this.devices.keys()].filter((id) => id !== this.myDeviceId);
  }

  /** Seqs whose chain link does not hold (history replaced, reordered or forged by someone). */
  brokenLinks(): { deviceId: string; seq: number }[] {
    return [...this.devices].flatMap(([deviceId, d]) => [...d.broken].map((seq) => ({ deviceId, seq })));
  }

  /** Everything to show, in time order (each sender's messages in seq order), gaps where messages are missing. */
  items(): ChatItem[] {
    const out: ChatItem[] = [...this.entries.values()];
    for (const [deviceId, d] of this.devices) {
      const held = [...d.seqs];
      const top = Math.max(-1, ...held);
      const claimed = d.claimed && d.claimed.seq > top ? d.claimed.seq : top;
      let from: number | undefined;
      for (let s = 0; s <= claimed + 1; s++) {
        const missing = s <= claimed && !d.seqs.has(s);
        if (missing && from === undefined) from = s;
        if (!missing && from !== undefined) {
          const next = [...this.entries.values()].find((e) => e.senderDeviceId === deviceId && e.seq === s);
          out.push({
            type: "gap",
            id: `gap-${deviceId}-${from}`,
            senderDeviceId: deviceId,
            senderUserId: d.userId,
            from,
            to: s - 1,
            withheld: from > top,
            at: next ? next.at - 0.5 : (d.claimed?.at ?? Date.now()),
          });
          from = undefined;
        }
      }
    }
    // Time order across senders, seq order within one: a sender's items take the running maximum
    // of their times in seq order, so a skewed clock can never show a sender's messages out of order.
    // (a message not sealed yet comes after all of its sender's others, in the order they were sent)
    const seqOf = (i: ChatItem) => (i.type === "message" ? (i.seq === UNSEQUENCED ? Number.MAX_SAFE_INTEGER : i.seq) : i.from);
    const when = new Map<ChatItem, number>();
    const bySender = new Map<string, ChatItem[]>();
    for (const i of out) bySender.set(i.senderDeviceId, [...(bySender.get(i.senderDeviceId) ?? []), i]);
    for (const list of bySender.values()) {
      let t = -Infinity;
      for (const i of list.sort((a, b) => seqOf(a) - seqOf(b))) {
        t = Math.max(t, i.at);
        when.set(i, t);
      }
    }
    const at = (i: ChatItem) => when.get(i) ?? i.at;
    return out.sort((a, b) => at(a) - at(b) || a.senderDeviceId.localeCompare(b.senderDeviceId) || seqOf(a) - seqOf(b));
  }

  /** Messages whose decrypted text contains `query` (case-insensitive), newest last. */
  search(query: string): ChatMessageItem[] {
    return searchItems(this.items(), query);
  }

  clear(): void {
    this.entries.clear();
    this.storedAt.clear();
    this.devices.clear();
    this.receipts.delivered = -1;
    this.receipts.read = -1;
  }
}

/** The problem text of a message sealed under a consult key this device does not hold (yet). */
export const NO_KEY = "This device does not hold the key this message was sealed under.";

/** The messages among `items` whose decrypted text contains `query` (case-insensitive), in order. */
export function searchItems(items: ChatItem[], query: string): ChatMessageItem[] {
  const q = query.trim().toLocaleLowerCase();
  if (!q) return [];
  return items.filter((i): i is ChatMessageItem => i.type === "message" && !!i.body && i.body.toLocaleLowerCase().includes(q));
}
