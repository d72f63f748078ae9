// Two real ChatSessions (lib/client/chat/chat-session.ts) — the doctor's device and the patient's,
// each with a real identity key, its own in-memory store holding the consult key (lib/crypto) and a
// pin of the other — talking through one fake chat server, on one manual clock. The room's part
// (what `update` says, the stream opening and closing) is played by the test through `Device`.
import { generateSigningKey, newConsultKey, type ConsultKey } from "@/lib/crypto";
import { ChatSession, type ChatInput, type ChatState } from "@/lib/client/chat/chat-session";
import type { ChatMessageItem } from "@/lib/client/chat/chat-log";
import type { E2eeStatus } from "@/lib/rtc/call-state";
import type { ChainHeadMessage } from "@/lib/rtc/messages";
import { FakeChatPage, FakeChatStore } from "./fakes/fake-chat-store";
import { FakeChatServer, type Member } from "./fakes/fake-chat-server";
import { FakeClock } from "./fakes/fake-clock";

type Head = Omit<ChainHeadMessage, "type">;

export class Device {
  chat!: ChatSession;
  input!: ChatInput;
  readonly page = new FakeChatPage();
  readonly heads: Head[] = [];
  /** every state the chat published, oldest first */
  readonly states: ChatState[] = [];
  other!: Device;

  constructor(
    readonly world: ChatWorld,
    readonly member: Member,
    readonly identity: Awaited<ReturnType<typeof generateSigningKey>> & { deviceId: string; userId: string; createdAt: number },
    readonly store: FakeChatStore,
  ) {}

  get deviceId(): string {
    return this.identity.deviceId;
  }

  get state(): ChatState {
    return this.chat.state();
  }

  /** A new page of this device (the first, or after a reload). */
  open(input: ChatInput): void {
    this.chat = new ChatSession({
      consultId: this.world.consultId,
      userId: this.member.userId,
      identity: this.identity,
      ports: { api: this.world.server.api(this.member), store: this.store, clock: this.world.clock, page: this.page },
      setChainHead: (h) => this.heads.push(h),
    });
    this.chat.subscribe(() => this.states.push(this.chat.state()));
    this.world.server.connect(this.member, (e) => this.chat.receive(e));
    this.update(input);
  }

  /** What the room tells the chat changed. */
  update(patch: Partial<ChatInput>): void {
    this.input = { ...this.input, ...patch };
    this.chat.update(this.input);
  }

  messages(): ChatMessageItem[] {
    return this.state.items.filter((i): i is ChatMessageItem => i.type === "message");
  }

  texts(): (string | undefined)[] {
    return this.messages().map((m) => m.body);
  }

  find(body: string): ChatMessageItem | undefined {
    return this.messages().find((m) => m.body === body);
  }

  /** This device's network goes (requests fail, the stream drops) or comes back (the stream reopens). */
  offline(how: "network" | "fetch" | 503 = "network"): void {
    this.world.server.setOutage(this.member.participantId, how);
    this.world.server.dropStream(this.member.participantId);
    this.update({ streamOpen: false });
  }

  online(): void {
    this.world.server.setOutage(this.member.participantId, undefined);
    this.world.server.reopenStream(this.member.participantId);
    this.update({ streamOpen: true });
  }

  /** The presence and post requests this device made, in order. */
  sent(route: "post" | "presence" | "receipt" | "list"): unknown[] {
    return this.world.server.requests.filter((r) => r.from === this.member.participantId && r.route === route).map((r) => r.body);
  }
}

export type WorldOptions = { e2ee?: E2eeStatus; trustOnFirstUse?: boolean; pinsVerified?: boolean };

export class ChatWorld {
  readonly clock = new FakeClock();
  readonly consultId = crypto.randomUUID();
  readonly server = new FakeChatServer(this.consultId, this.clock);
  doctor!: Device;
  patient!: Device;
  /** the consult key of epoch 0, made on the doctor's device */
  readonly key: ConsultKey = newConsultKey(0);

  static async create(o: WorldOptions = {}): Promise<ChatWorld> {
    const w = new ChatWorld();
    w.doctor = await w.device("doctor");
    w.patient = await w.device("patient");
    w.doctor.other = w.patient;
    w.patient.other = w.doctor;
    for (const d of [w.doctor, w.patient]) {
      await d.store.addKey(d.member.userId, w.consultId, w.key, d === w.doctor);
      d.store.pin(d.member.userId, d.other.member.userId, d.other.identity.spki, o.pinsVerified ?? true);
    }
    for (const d of [w.doctor, w.patient]) d.open(w.inputFor(d, o));
    await w.settle();
    return w;
  }

  inputFor(d: Device, o: WorldOptions = {}): ChatInput {
    const person = (x: Device) => ({ userId: x.member.userId, name: x.member.role === "doctor" ? "Dr. Dana Demo" : "Pat Patient", role: x.member.role });
    return {
      people: [person(this.doctor), person(this.patient)],
      other: { id: d.other.member.participantId, userId: d.other.member.userId, online: true },
      myParticipantId: d.member.participantId,
      e2ee: o.e2ee ?? "verified",
      keyEpoch: 0,
      trustOnFirstUse: o.trustOnFirstUse ?? false,
      active: true,
      readable: true,
      streamOpen: true,
      consultLabel: d.member.role === "doctor" ? "with Pat Patient" : "with Dr. Dana Demo",
    };
  }

  /** The doctor starts a new key epoch (a participant was removed); `to` also receives it. */
  async rotate(epoch: number, ...to: Device[]): Promise<ConsultKey> {
    const k = newConsultKey(epoch);
    await this.doctor.store.addKey(this.doctor.member.userId, this.consultId, k, true);
    for (const d of to) await d.store.addKey(d.member.userId, this.consultId, k, false);
    return k;
  }

  /**
   * Moves the clock on in steps of 50 ms, letting what falls due run to the end after each, so a
   * timer set by work a timer started (a retry after a failed retry) falls due in the same call.
   */
  async advance(ms: number): Promise<void> {
    await this.settle();
    for (let left = ms; left > 0; left -= 50) {
      this.clock.advance(Math.min(50, left));
      await this.settle();
    }
  }

  /**
   * Waits until nothing moves: no request or delivery of the server, no store call, no chat work
   * queued (ChatSession's private `queue`, read by name: opening a message is real crypto, which
   * runs on Node's thread pool, so only awaiting it tells when it is done).
   */
  async settle(): Promise<void> {
    const devices = [this.doctor, this.patient];
    const mark = () => [this.server.activity, ...devices.flatMap((d) => [d.store.activity, d.states.length, d.chat["queue"]])];
    // what an earlier page left unsealed is unmasked with real crypto too (MessageSending's private `earlierShown`)
    await Promise.all(devices.map((d) => d.chat["sending"]["earlierShown"]));
    for (let round = 0, quiet = 0; quiet < 3; round++) {
      if (round > 500) throw new Error("the chat never settles");
      const before = mark();
      await Promise.all([...this.server.pending(), ...devices.flatMap((d) => [...d.store.pending(), d.chat["queue"]])]);
      await new Promise((r) => setImmediate(r));
      const after = mark();
      quiet = after.every((v, i) => v === before[i]) ? quiet + 1 : 0;
    }
  }

  private async device(role: Member["role"]): Promise<Device> {
    const pair = await generateSigningKey();
    const member: Member = { participantId: crypto.randomUUID(), userId: crypto.randomUUID(), role };
    const identity = { ...pair, deviceId: crypto.randomUUID(), userId: member.userId, createdAt: this.clock.now() };
    this.server.registerDevice(identity.deviceId, member.userId, pair.spki);
    return new Device(this, member, identity, new FakeChatStore(this.clock));
  }
}
