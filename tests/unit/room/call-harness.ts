// Two real CallSessions (lib/rtc/call.ts) — the doctor's device (initiator, owner of the consult
// key) and the patient's (recipient) — over the fakes: the consult's signaling log, a network of
// fake simple-peers, fake certificates, one manual clock, in-memory pins, lib/crypto's identity and
// consult keys. A participant's page is one CallSession; a reload is a new page of the same device.
import { generateSigningKey, type ConsultKey } from "@/lib/crypto";
import { CallSession, type CallOptions, type CallSnapshot, type E2ee } from "@/lib/rtc/call";
import type { DeviceKeys } from "@/lib/rtc/handshake";
import type { CallStep } from "@/lib/rtc/call-timeline";
import type { ChainHeadMessage } from "@/lib/rtc/messages";
import { fakeCertificates } from "./fakes/fake-certificate";
import { FakeClock } from "./fakes/fake-clock";
import { ownerKeys, recipientKeys, type OwnerKeys, type RecipientKeys } from "./fakes/fake-consult-keys";
import { FakeLog, type Side } from "./fakes/fake-log";
import { fakeStream } from "./fakes/fake-media";
import { FakeNetwork } from "./fakes/fake-network";
import { FakePins } from "./fakes/fake-trust";
import type { E2eeReport } from "@/lib/shared/api";

/** One browser profile of a person: its identity key, device id and pins. */
export type Device = { userId: string; keys: DeviceKeys; pins: FakePins };

export async function newDevice(userId: string = crypto.randomUUID()): Promise<Device> {
  const pair = await generateSigningKey();
  return { userId, keys: { privateKey: pair.privateKey, spki: pair.spki, deviceId: crypto.randomUUID() }, pins: new FakePins() };
}

/**
 * A call session's two promise chains (handled messages, posted messages), read by name: a chain
 * that is a new promise means the session did something since (the harness settles on that).
 */
function chainsOf(s: CallSession): Promise<void>[] {
  return [s["queue"], s["sending"]];
}

export class Participant {
  session!: CallSession;
  readonly pages: CallSession[] = [];
  /** the current page's snapshots, oldest first */
  snapshots: CallSnapshot[] = [];
  /** what the call told the audit trail */
  readonly reports: E2eeReport[] = [];
  get mismatchReports(): number {
    return this.reports.filter((r) => r === "mismatch").length;
  }
  /** the peer's chain heads as they reached the room, with whether the DTLS check had passed */
  readonly heads: { head: ChainHeadMessage; dtlsChecked: boolean }[] = [];
  /** the set-up steps every page of this device marked (lib/rtc/call-timeline.ts), in order */
  readonly marks: CallStep[] = [];
  readonly local: MediaStream | undefined;
  /** this device's chat chain head, handed to every page's call (as the room does) */
  private head: Omit<ChainHeadMessage, "type"> | undefined;

  constructor(
    private readonly consult: Consult,
    readonly side: Side,
    public device: Device,
    public keyStore: OwnerKeys | RecipientKeys,
    private readonly overrides: Partial<CallOptions>,
    media: boolean,
  ) {
    this.local = media ? fakeStream() : undefined;
  }

  get other(): Participant {
    return this.side === "doctor" ? this.consult.patient : this.consult.doctor;
  }

  get snap(): CallSnapshot {
    return this.session.snapshot;
  }

  get e2ee(): E2ee {
    return this.session.snapshot.e2ee;
  }

  /** Keys this (recipient) device received. */
  get received(): ConsultKey[] {
    return this.keyStore.role === "recipient" ? this.keyStore.received : [];
  }

  /** A page of this device opens on the consult (and sees the log from now on); not started yet. */
  open(): CallSession {
    const c = this.consult;
    const session: CallSession = new CallSession({
      initiator: this.side === "doctor",
      consultId: c.consultId,
      keys: this.device.keys,
      trust: this.device.pins.trustFor(this.device.userId, this.other.device.userId, { consultId: c.consultId, role: this.other.side }),
      consultKeys: this.keyStore.consultKeys,
      rtcConfig: () => Promise.resolve({ iceServers: [{ urls: "stun:stun.example.org" }] }),
      send: c.log.sender(this.side),
      onChange: (s) => {
        if (this.session === session) this.snapshots.push(s);
      },
      onReport: (report) => this.reports.push(report),
      onChainHead: (head) => this.heads.push({ head, dtlsChecked: session.snapshot.e2ee.dtlsChecked }),
      newPeer: c.net.factory(this.side),
      newCertificate: c.certs.newCertificate,
      clock: c.clock,
      marks: (step) => this.marks.push(step),
      ...this.overrides,
    });
    this.session = session;
    this.snapshots = [];
    this.pages.push(session);
    if (this.head) session.setChainHead(this.head);
    c.log.open(this.side, session);
    return session;
  }

  /** This device's chat chain head changed: the current call hears it, and every later one. */
  setChainHead(head: Omit<ChainHeadMessage, "type">): void {
    this.head = head;
    if (this.pages.length > 0) this.session.setChainHead(head);
  }

  /** A page opens and starts its call with the camera and microphone. */
  join(): CallSession {
    const s = this.open();
    s.start(this.local);
    return s;
  }

  /** The page reloads: the old one says bye (unless it cannot), a new one joins. */
  reload({ bye = true }: { bye?: boolean } = {}): CallSession {
    this.session.pageHide((msg) => (bye ? this.consult.log.post(this.side, msg) : undefined));
    return this.join();
  }

  /** This person comes back on another browser: a new identity key, device id and pins. */
  async newBrowser(): Promise<void> {
    this.device = await newDevice(this.device.userId);
    if (this.keyStore.role === "recipient") this.keyStore = recipientKeys();
  }
}

export type ConsultOptions = { trustOnFirstUse?: boolean; media?: boolean; doctor?: Device; patient?: Device };

export class Consult {
  readonly consultId = crypto.randomUUID();
  readonly clock = new FakeClock();
  readonly net = new FakeNetwork();
  readonly log = new FakeLog(() => this.clock.now());
  readonly certs = fakeCertificates();
  doctor!: Participant;
  patient!: Participant;
  /** more signals than this means the two sides never agree */
  maxSignals = 400;

  static async create(o: ConsultOptions = {}): Promise<Consult> {
    const c = new Consult();
    const [d, p] = await Promise.all([o.doctor ?? newDevice(), o.patient ?? newDevice()]);
    const overrides = { trustOnFirstUse: o.trustOnFirstUse };
    c.doctor = new Participant(c, "doctor", d, ownerKeys(), overrides, o.media ?? true);
    c.patient = new Participant(c, "patient", p, recipientKeys(), overrides, o.media ?? true);
    return c;
  }

  get doctorKey(): ConsultKey {
    const k = this.doctor.keyStore;
    if (k.role !== "owner") throw new Error("the doctor's device owns the consult key");
    return k.key;
  }

  /**
   * Runs both devices until nothing moves: signals delivered (unless delivery is by hand), timers
   * due now, peer events, and both call sessions' chains done.
   */
  async settle(maxRounds = 500): Promise<void> {
    const pages = () => [...this.doctor.pages, ...this.patient.pages];
    const mark = () => [this.log.entries.length, this.log.delivered, this.net.scheduled, ...pages().flatMap(chainsOf)];
    // A held getStats() blocks its side's chains (the DTLS check waits for it): once one of that
    // side's peers waits at the gate, its chains get a moment more, not for ever.
    const done = (p: Participant) => {
      const chains = Promise.all(p.pages.flatMap(chainsOf));
      if (!this.net.holding) return chains;
      return Promise.race([chains, this.net.whenParked(p.side).then(() => new Promise((r) => setTimeout(r, 50)))]);
    };
    for (let round = 0; round < maxRounds; round++) {
      const before = mark();
      if (this.log.auto) this.log.deliverAll();
      this.clock.advance(0);
      await Promise.all([done(this.doctor), done(this.patient)]);
      await new Promise((r) => setImmediate(r));
      if (this.log.entries.length > this.maxSignals) throw new Error(`no agreement after ${this.log.entries.length} signals`);
      const after = mark();
      if (!this.net.busy && !this.clock.hasDue && after.length === before.length && after.every((x, i) => x === before[i])) return;
    }
    throw new Error(`the call did not come to rest in ${maxRounds} rounds`);
  }

  /** Lets `ms` of time pass in steps, settling after each. */
  async tick(ms: number, step = 100): Promise<void> {
    for (let left = ms; left > 0; left -= step) {
      this.clock.advance(Math.min(step, left));
      await this.settle();
    }
  }

  /** Both join (doctor first, then the patient) and the call settles. */
  async connect(): Promise<void> {
    this.doctor.join();
    await this.settle();
    this.patient.join();
    await this.settle();
  }

  /** Both people confirm that the codes match. */
  async confirmBoth(): Promise<void> {
    this.doctor.session.confirm();
    this.patient.session.confirm();
    await this.settle();
  }
}
