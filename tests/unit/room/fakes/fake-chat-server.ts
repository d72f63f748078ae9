// The consult's chat routes and event stream in memory (lib/server/messages.ts, presence.ts and the
// event log, as the browser sees them): a posted message is stored once by id (a retry of the same
// bytes answers with the stored one and no new event; other bytes under a used id or seq are a
// conflict) and goes to every open stream as `message`/`new`; receipts and presence become events;
// the doctor can delete everything. A stream that drops keeps its place and gets what it missed
// when it reopens (the browser resumes with ?after=). Controls make one participant unreachable
// (a network error or a busy 503), refuse posts with a 4xx, lose an answer after storing, alter a
// stored ciphertext, or withhold messages from one participant.
import { fromBase64Url, toBase64Url } from "@/lib/crypto";
import { ClientApiError } from "@/lib/client/api";
import type { ChatApi } from "@/lib/client/chat/chat-ports";
import type { Clock } from "@/lib/client/clock";
import { postMessageBody, type PostMessageBody, type StoredMessage, type StreamEvent } from "@/lib/shared/api";

export type Member = { participantId: string; userId: string; role: "doctor" | "patient" };

/** How a participant fails to reach the server: as lib/client/api.ts reports it, as fetch throws it, or a busy server. */
export type Outage = "network" | "fetch" | 503;

export type Request = { from: string; route: "list" | "post" | "receipt" | "presence" | "deleteAll"; body?: unknown; answered: boolean };

/** `sent`: the newest event put on the wire; `received`: the newest the page got (where a reopened stream resumes). */
type Connection = { member: Member; receive: (e: StreamEvent) => void; open: boolean; sent: number; received: number };

export class FakeChatServer {
  readonly messages: StoredMessage[] = [];
  readonly events: StreamEvent[] = [];
  readonly requests: Request[] = [];
  /** counts requests and deliveries (a test waits until nothing moves any more) */
  activity = 0;
  private readonly devices = new Map<string, { userId: string; spki: Uint8Array }>();
  private readonly connections = new Map<string, Connection>();
  private readonly outages = new Map<string, Outage>();
  private readonly hidden = new Map<string, Set<string>>();
  private readonly withholding = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private refusal: { status: number; message: string } | undefined;
  private answersToLose = 0;
  private corruptNext = false;
  private seq = 0;

  constructor(
    readonly consultId: string,
    private readonly clock: Clock,
  ) {}

  registerDevice(deviceId: string, userId: string, spki: Uint8Array): void {
    this.devices.set(deviceId, { userId, spki: new Uint8Array(spki) });
  }

  // ---- controls ----

  setOutage(participantId: string, outage: Outage | undefined): void {
    if (outage) this.outages.set(participantId, outage);
    else this.outages.delete(participantId);
  }

  refusePosts(status: number, message: string): void {
    this.refusal = { status, message };
  }

  acceptPosts(): void {
    this.refusal = undefined;
  }

  /** The next post is stored (and announced), but its answer never reaches the sender. */
  loseNextAnswer(): void {
    this.answersToLose++;
  }

  /** The next message is stored with one ciphertext byte flipped. */
  corruptNextMessage(): void {
    this.corruptNext = true;
  }

  /** Messages posted from now on are kept from this participant: no event, not in the list. */
  withholdFrom(participantId: string): void {
    this.withholding.add(participantId);
  }

  /** Stops withholding: what was kept from the participant is in the list again (its events stay lost). */
  release(participantId: string): void {
    this.withholding.delete(participantId);
    for (const who of this.hidden.values()) who.delete(participantId);
  }

  // ---- the stream ----

  /** A page opens its stream at the current head; the others see it come online. */
  connect(member: Member, receive: (e: StreamEvent) => void): void {
    this.connections.set(member.participantId, { member, receive, open: true, sent: this.seq, received: this.seq });
    this.emit(member, "presence", "online", { participantId: member.participantId });
  }

  dropStream(participantId: string): void {
    const c = this.connections.get(participantId);
    if (!c?.open) return;
    c.open = false;
    c.sent = c.received; // what was on the wire is lost
    this.emit(c.member, "presence", "offline", { participantId });
  }

  /** The stream opens again from where it stopped. */
  reopenStream(participantId: string): void {
    const c = this.connections.get(participantId);
    if (!c || c.open) return;
    c.open = true;
    this.emit(c.member, "presence", "online", { participantId });
  }

  disconnect(participantId: string): void {
    this.connections.delete(participantId);
  }

  /** What is still on its way (requests, deliveries). */
  pending(): Promise<unknown>[] {
    return [...this.inflight];
  }

  // ---- the routes, as one participant's browser calls them ----

  api(m: Member): ChatApi {
    return {
      list: (consultId) => this.request(m, consultId, "list", undefined, () => ({ messages: this.messages.filter((x) => !this.hidden.get(x.id)?.has(m.participantId)).map((x) => ({ ...x })) })),
      post: (consultId, body) => this.request(m, consultId, "post", body, () => this.post(m, body)),
      receipt: (consultId, receipt) => this.request(m, consultId, "receipt", receipt, () => this.emit(m, "message", "receipt", receipt)),
      presence: (consultId, update) => this.request(m, consultId, "presence", update, () => this.emit(m, "presence", update.status, { participantId: m.participantId, typing: update.typing })),
      deleteAll: (consultId) => this.request(m, consultId, "deleteAll", undefined, () => this.deleteAll(m)),
      transcriptExported: () => Promise.resolve({ ok: true }),
    };
  }

  private post(m: Member, body: PostMessageBody): { message: StoredMessage; created: boolean } {
    if (this.refusal) throw new ClientApiError(this.refusal.status, "refused", this.refusal.message);
    if (!postMessageBody.safeParse(body).success) throw new ClientApiError(400, "invalid_input", "Not a sealed message.");
    const device = this.devices.get(body.senderDeviceId);
    if (!device || device.userId !== m.userId) throw new ClientApiError(403, "forbidden", "senderDeviceId is not one of your devices");
    const existing = this.messages.find((x) => x.id === body.id);
    if (existing) {
      const same = existing.senderDeviceId === body.senderDeviceId && existing.seq === body.seq && existing.keyId === body.keyId && existing.iv === body.iv && existing.ciphertext === body.ciphertext;
      if (!same) throw new ClientApiError(409, "conflict", "Another message already uses this id");
      return { message: { ...existing }, created: false };
    }
    if (this.messages.some((x) => x.senderDeviceId === body.senderDeviceId && x.seq === body.seq)) throw new ClientApiError(409, "conflict", "This device already sent a message with this seq");
    let ciphertext = body.ciphertext;
    if (this.corruptNext) {
      this.corruptNext = false;
      const bytes = fromBase64Url(ciphertext);
      bytes[7] = (bytes[7] ?? 0) ^ 0x01;
      ciphertext = toBase64Url(bytes);
    }
    const stored: StoredMessage = { ...body, ciphertext, createdAt: new Date(this.clock.now()).toISOString(), senderUserId: device.userId, senderIdentityKey: toBase64Url(device.spki) };
    this.messages.push(stored);
    if (this.withholding.size > 0) this.hidden.set(stored.id, new Set(this.withholding));
    this.emit(m, "message", "new", { ...stored });
    if (this.answersToLose > 0) {
      this.answersToLose--;
      throw new ClientApiError(0, "network", "Could not reach the server. Check your connection and try again.");
    }
    return { message: { ...stored }, created: true };
  }

  private deleteAll(m: Member): { deleted: number } {
    if (m.role !== "doctor") throw new ClientApiError(403, "forbidden", "Only the doctor can delete this consult's messages.");
    const deleted = this.messages.length;
    this.messages.length = 0;
    const kept = this.events.filter((e) => !(e.kind === "message" && e.type === "new"));
    this.events.splice(0, this.events.length, ...kept);
    this.emit(m, "message", "deleted", { count: deleted, files: 0 });
    return { deleted };
  }

  private request<T>(m: Member, consultId: string, route: Request["route"], body: unknown, answer: () => T): Promise<T> {
    this.activity++;
    const outage = this.outages.get(m.participantId);
    const r: Request = { from: m.participantId, route, body, answered: false };
    this.requests.push(r);
    return this.track(async () => {
      await Promise.resolve(); // never answered in the same turn
      if (outage === "fetch") throw new TypeError("Failed to fetch");
      if (outage === "network") throw new ClientApiError(0, "network", "Could not reach the server. Check your connection and try again.");
      if (outage === 503) throw new ClientApiError(503, "unavailable", "The server is busy. Try again.");
      if (consultId !== this.consultId) throw new ClientApiError(404, "not_found", "No such consult");
      r.answered = true;
      return answer();
    });
  }

  private emit(from: Member, kind: StreamEvent["kind"], type: string, payload: StreamEvent["payload"]): void {
    this.events.push({ seq: ++this.seq, kind, type, from: from.participantId, to: null, payload, at: new Date(this.clock.now()).toISOString() });
    for (const c of this.connections.values()) this.deliver(c);
  }

  private deliver(c: Connection): void {
    if (!c.open) return;
    for (const e of this.events) {
      if (e.seq <= c.sent) continue;
      c.sent = e.seq;
      const id = e.kind === "message" && e.type === "new" ? (e.payload as { id?: string }).id : undefined;
      const withheld = !!id && !!this.hidden.get(id)?.has(c.member.participantId);
      this.activity++;
      void this.track(async () => {
        await Promise.resolve();
        if (!c.open || this.connections.get(c.member.participantId) !== c || e.seq <= c.received) return;
        c.received = e.seq;
        if (!withheld) c.receive(e);
      });
    }
  }

  private track<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    const forget = () => void this.inflight.delete(done);
    const done: Promise<void> = p.then(forget, forget);
    this.inflight.add(done);
    return p;
  }
}
