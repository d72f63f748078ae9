// Chat latency (DESIGN.md: p99 under 150 ms with 50 consults chatting at once on 2 cores): from the
// sender's `send` — sealing the message (PROTOCOL §4: sign, pad, AES-GCM) and POSTing it to
// /api/consults/:id/messages — to the moment the other side has taken it out of its event stream
// and opened it (AES-GCM decrypt, padding, ECDSA signature against the pinned identity key, header
// equal to the signed fields) and checked its place in the sender's chain (seq, prevHash).
//
// Both people of every consult are simulated in this process, speaking the real protocol through
// the real route handlers: the doctor signs in with a staff account and creates the consult, the
// patient redeems the invite as a guest, the doctor admits, both register a device (an ECDSA P-256
// identity key made with WebCrypto), both hold their event stream open. The consult key K is made
// here and handed to both sides (in the app it travels wrapped under the handshake's pairwise key;
// the server never sees it either way).
//
// Cases: one consult alone (sequential, alternating directions, after a warm-up), then N consults
// at once where every consult sends one message every `intervalMs`, alternating sides, for
// `durationMs`, on an open-loop schedule (a slow answer never delays the next send, so a slow
// server shows up as latency, not as a lower rate). Consults start at random offsets inside one
// interval. Every receiver also drops its stream once at a random moment and reconnects from the
// last event id, as EventSource does. Every message must be decrypted exactly once on the other side.
import {
  chainHash,
  equal,
  fromBase64Url,
  generateSigningKey,
  importAeadKey,
  newConsultKey,
  openMessage,
  sealMessage,
  toBase64Url,
  utf8,
  uuidBytes,
  ZERO_HASH,
  type AeadKey,
  type Bytes,
  type SigningKeyPair,
} from "../lib/crypto";
import type { StoredMessage, StreamEvent } from "../lib/shared/api";
import { uuidV7 } from "../e2e/support/keys";
import { HttpActor } from "./lib/http-actor";
import { summarize, type Summary } from "./lib/stats";
import { loadAverage } from "./lib/cpu";

type Snapshot = { lastSeq: number; me: { id: string } };

/** One person's device in one consult: its identity, its outgoing chain, what it expects next. */
type Side = {
  name: "doctor" | "patient";
  actor: HttpActor;
  identity: SigningKeyPair;
  deviceId: string;
  deviceIdBytes: Bytes;
  /** outgoing chain: next seq and the hash of the previous P */
  seq: bigint;
  prevHash: Bytes;
  /** seals run one after another, like the app's outbox: seq and prevHash stay in order */
  outbox: Promise<unknown>;
  /** incoming chain of the other side: the next seq expected, the hash of the last P, and what came early */
  recvSeq: bigint;
  recvHash: Bytes;
  early: Map<bigint, { prevHash: Bytes; p: Bytes }>;
  /** the event stream: last id seen, and how to drop it */
  lastEventId: number;
  abort: AbortController;
  reader: Promise<void> | undefined;
};

type ChatConsult = { id: string; idBytes: Bytes; key: AeadKey; keyId: Bytes; doctor: Side; patient: Side };

export type ChatCase = Summary & {
  consults: number;
  /** messages accepted by the server (201) */
  sent: number;
  /** messages decrypted on the other side, each counted once */
  delivered: number;
  lost: number;
  duplicates: number;
  /** messages that did not open or verify, or broke the sender's chain */
  failed: number;
  /** POSTs answered with an error */
  refused: number;
  reconnects: number;
  /** CPU the server (and a PostgreSQL server) used per message sent, in ms, when known */
  serverCpuMsPerMessage?: number;
  /** the machine's 1-minute load average before and after the case (others' work shows here) */
  load: [number, number];
};

export type ChatLatency = {
  single: ChatCase;
  concurrent: ChatCase & { intervalMs: number; durationMs: number; ratePerSecond: number };
};

export type ChatOptions = {
  n: number;
  consults: number;
  intervalMs: number;
  durationMs: number;
  reconnect: boolean;
  /** CPU ms used so far by the server side (app and database processes), if it can be read */
  serverCpuMs?: () => number;
};

/** What every receiver reports to: send times, arrivals, and anything that went wrong. */
class Tracker {
  readonly sentAt = new Map<string, number>();
  readonly arrived = new Map<string, (t: number) => void>();
  readonly delivered = new Set<string>();
  samples: number[] = [];
  recording = false;
  sent = 0;
  duplicates = 0;
  failed = 0;
  refused = 0;
  reconnects = 0;
  errors: string[] = [];

  note(err: string): void {
    if (this.errors.length < 5) this.errors.push(err);
  }

  reset(): void {
    this.samples = [];
    this.sent = this.duplicates = this.failed = this.refused = this.reconnects = 0;
    this.sentAt.clear();
    this.delivered.clear();
    this.errors = [];
  }

  private cpuAtStart = NaN;
  private loadAtStart = NaN;

  start(serverCpuMs: (() => number) | undefined): void {
    this.reset();
    this.recording = true;
    this.cpuAtStart = serverCpuMs?.() ?? NaN;
    this.loadAtStart = loadAverage();
  }

  result(consults: number, serverCpuMs: (() => number) | undefined): ChatCase {
    this.recording = false;
    const cpu = (serverCpuMs?.() ?? NaN) - this.cpuAtStart;
    const delivered = [...this.sentAt.keys()].filter((id) => this.delivered.has(id)).length;
    return {
      ...summarize(this.samples),
      consults,
      sent: this.sent,
      delivered,
      lost: this.sentAt.size - delivered,
      duplicates: this.duplicates,
      failed: this.failed,
      refused: this.refused,
      reconnects: this.reconnects,
      ...(Number.isFinite(cpu) && this.sent > 0 ? { serverCpuMsPerMessage: Math.round((cpu / this.sent) * 100) / 100 } : {}),
      load: [this.loadAtStart, loadAverage()],
    };
  }
}

const b64 = toBase64Url;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newSide(name: Side["name"], actor: HttpActor, identity?: SigningKeyPair, deviceId?: string): Promise<Side> {
  identity ??= await generateSigningKey();
  deviceId ??= (await actor.json<{ deviceId: string }>("/api/devices", { identityKey: b64(identity.spki) })).deviceId;
  return {
    name,
    actor,
    identity,
    deviceId,
    deviceIdBytes: uuidBytes(deviceId),
    seq: 0n,
    prevHash: ZERO_HASH(),
    outbox: Promise.resolve(),
    recvSeq: 0n,
    recvHash: ZERO_HASH(),
    early: new Map(),
    lastEventId: 0,
    abort: new AbortController(),
    reader: undefined,
  };
}

/** A doctor's consult with an admitted guest patient; both devices registered, no stream open yet. */
async function openConsult(baseURL: string, doctor: HttpActor, doctorDevice: Side): Promise<ChatConsult> {
  const { id, url } = await doctor.json<{ id: string; url: string }>("/api/consults", {});
  const patient = new HttpActor(baseURL);
  await patient.signIn("invite", { token: new URL(url).pathname.split("/").pop() ?? "" });
  const waiting = await patient.json<Snapshot>(`/api/consults/${id}`);
  await doctor.json(`/api/consults/${id}/admit`, { participantId: waiting.me.id });
  const snap = await patient.json<Snapshot>(`/api/consults/${id}`);
  const k = newConsultKey(0);
  const c: ChatConsult = {
    id,
    idBytes: uuidBytes(id),
    key: await importAeadKey(k.key),
    keyId: k.keyId,
    // The doctor's browser is one device across all of its consults; its chains are per consult.
    doctor: await newSide("doctor", doctor, doctorDevice.identity, doctorDevice.deviceId),
    patient: await newSide("patient", patient),
  };
  c.doctor.lastEventId = c.patient.lastEventId = snap.lastSeq;
  return c;
}

/** Opens one side's event stream (from its last event id) and starts reading it. */
async function listen(c: ChatConsult, me: Side, peer: Side, tracker: Tracker): Promise<void> {
  me.abort = new AbortController();
  const frames = await me.actor.stream(c.id, me.lastEventId, me.abort.signal);
  await frames.next(); // `retry:`: the stream is open
  const signal = me.abort.signal;
  me.reader = (async () => {
    try {
      for await (const f of frames) {
        if (f.id) me.lastEventId = Number(f.id);
        if (f.event !== "message" || !f.data) continue;
        const e = JSON.parse(f.data) as StreamEvent;
        if (e.type !== "new") continue;
        const m = e.payload as StoredMessage;
        if (m.senderDeviceId === me.deviceId) continue; // its own, echoed
        await receive(c, me, peer, m, tracker);
      }
    } catch (err) {
      if (!signal.aborted) tracker.note(`stream of ${me.name} in ${c.id}: ${(err as Error).message}`);
    }
  })();
}

/** What the receiving app does with a `message`/`new` event: open, verify, place in the chain. */
async function receive(c: ChatConsult, me: Side, peer: Side, m: StoredMessage, tracker: Tracker): Promise<void> {
  if (tracker.delivered.has(m.id)) {
    tracker.duplicates++;
    return;
  }
  try {
    // The sender's identity is the key pinned for the peer, not the server's claim beside the message.
    if (!equal(fromBase64Url(m.senderIdentityKey), peer.identity.spki)) throw new Error("the server names another identity key");
    const header = { consultId: c.idBytes, keyId: fromBase64Url(m.keyId), senderDeviceId: uuidBytes(m.senderDeviceId), messageId: uuidBytes(m.id), seq: BigInt(m.seq) };
    const { message, p } = await openMessage(c.key, fromBase64Url(m.iv), fromBase64Url(m.ciphertext), header, peer.identity.spki);
    // Shown at once, placed by seq (two sends of one side may commit in either order); the chain
    // is checked as soon as it is contiguous.
    if (message.seq < me.recvSeq || me.early.has(message.seq)) throw new Error(`chain: seq ${message.seq} seen twice`);
    me.early.set(message.seq, { prevHash: message.prevHash, p });
    for (let next = me.early.get(me.recvSeq); next; next = me.early.get(me.recvSeq)) {
      if (!equal(next.prevHash, me.recvHash)) throw new Error(`chain: seq ${me.recvSeq} does not follow its predecessor`);
      me.early.delete(me.recvSeq);
      me.recvSeq++;
      me.recvHash = await chainHash(next.p);
    }
  } catch (err) {
    tracker.failed++;
    tracker.note(`open in ${c.id}: ${(err as Error).message}`);
  }
  const t = performance.now();
  tracker.delivered.add(m.id);
  const t0 = tracker.sentAt.get(m.id);
  if (t0 !== undefined && tracker.recording) tracker.samples.push(t - t0);
  tracker.arrived.get(m.id)?.(t);
  tracker.arrived.delete(m.id);
}

/**
 * Seals and posts one message from `from`; resolves when the other side has decrypted it (or after
 * `timeoutMs`). The clock starts before sealing: the user pressed send.
 */
async function send(c: ChatConsult, from: Side, tracker: Tracker, text: string, timeoutMs = 10_000): Promise<void> {
  const t0 = performance.now();
  const id = uuidV7();
  const arrived = new Promise<number | undefined>((resolve) => {
    tracker.arrived.set(id, resolve);
    setTimeout(() => resolve(undefined), timeoutMs).unref();
  });
  const sealing = from.outbox.then(async () => {
    const seq = from.seq;
    const sealed = await sealMessage(c.key, from.identity.privateKey, {
      kind: "text",
      consultId: c.idBytes,
      keyId: c.keyId,
      senderDeviceId: from.deviceIdBytes,
      messageId: uuidBytes(id),
      seq,
      prevHash: from.prevHash,
      sentAt: BigInt(Date.now()),
      body: utf8(text),
    });
    from.seq = seq + 1n;
    from.prevHash = await chainHash(sealed.p);
    return { seq, sealed };
  });
  from.outbox = sealing.catch(() => undefined);
  const { seq, sealed } = await sealing;
  tracker.sentAt.set(id, t0);
  try {
    const res = await from.actor.fetch(`/api/consults/${c.id}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, senderDeviceId: from.deviceId, seq: Number(seq), keyId: b64(c.keyId), iv: b64(sealed.iv), ciphertext: b64(sealed.ciphertext) }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST message: ${res.status} ${text.slice(0, 200)}`);
  } catch (err) {
    tracker.refused++;
    tracker.sentAt.delete(id);
    tracker.arrived.delete(id);
    tracker.note((err as Error).message);
    return;
  }
  tracker.sent++;
  await arrived;
}

const TEXTS = ["How are you feeling today?", "A bit better, thanks. The cough is mostly at night.", "Any fever since Tuesday?", "No, 37.1 this morning.", "Good. Keep the inhaler twice a day."];

async function closeConsult(c: ChatConsult): Promise<void> {
  for (const s of [c.doctor, c.patient]) s.abort.abort();
  await Promise.all([c.doctor.reader, c.patient.reader]);
}

export async function chatLatency(baseURL: string, opts: ChatOptions): Promise<ChatLatency> {
  const tracker = new Tracker();
  const doctor = new HttpActor(baseURL);
  await doctor.signIn("staff", { email: "doctor@parley.test", password: process.env.DEMO_PASSWORD ?? "parley-demo" });
  const doctorDevice = await newSide("doctor", doctor);

  // ---- one consult, sequential ----
  const one = await openConsult(baseURL, doctor, doctorDevice);
  await listen(one, one.doctor, one.patient, tracker);
  await listen(one, one.patient, one.doctor, tracker);
  for (let i = 0; i < 20; i++) await send(one, i % 2 ? one.patient : one.doctor, tracker, TEXTS[i % TEXTS.length] ?? ""); // warm-up
  tracker.start(opts.serverCpuMs);
  for (let i = 0; i < opts.n; i++) await send(one, i % 2 ? one.patient : one.doctor, tracker, TEXTS[i % TEXTS.length] ?? "");
  await sleep(200); // a duplicate would arrive now
  const single = tracker.result(1, opts.serverCpuMs);
  if (tracker.errors.length > 0) console.warn(`chat latency, 1 consult: ${tracker.errors.join("; ")}`);
  await closeConsult(one);

  // ---- many consults at once, open loop ----
  const many: ChatConsult[] = [];
  for (let k = 0; k < opts.consults; k++) many.push(await openConsult(baseURL, doctor, doctorDevice));
  for (const c of many) {
    await listen(c, c.doctor, c.patient, tracker);
    await listen(c, c.patient, c.doctor, tracker);
  }
  // warm-up: one message each way per consult, not counted
  await Promise.all(
    many.map(async (c) => {
      await send(c, c.doctor, tracker, "hello");
      await send(c, c.patient, tracker, "hello");
    }),
  );
  tracker.start(opts.serverCpuMs);
  const start = performance.now() + 50;
  const inFlight: Promise<void>[] = [];
  await Promise.all(
    many.map(async (c) => {
      const offset = Math.random() * opts.intervalMs;
      // one reconnect per receiver, at a random moment in the middle of the run
      const reconnectAt = opts.reconnect ? [c.doctor, c.patient].map((s) => ({ s, at: start + opts.durationMs * (0.2 + 0.6 * Math.random()), done: false })) : [];
      for (let i = 0; ; i++) {
        const at = start + offset + i * opts.intervalMs;
        if (at - start >= opts.durationMs) break;
        const wait = at - performance.now();
        if (wait > 0) await sleep(wait);
        for (const r of reconnectAt) {
          if (r.done || performance.now() < r.at) continue;
          r.done = true;
          const peer = r.s === c.doctor ? c.patient : c.doctor;
          r.s.abort.abort();
          await r.s.reader;
          tracker.reconnects++;
          inFlight.push(listen(c, r.s, peer, tracker).catch((err: Error) => tracker.note(`reconnect: ${err.message}`)));
        }
        inFlight.push(send(c, i % 2 ? c.patient : c.doctor, tracker, TEXTS[i % TEXTS.length] ?? ""));
      }
    }),
  );
  await Promise.all(inFlight); // every send waits for its delivery, at most 10 s
  await sleep(200);
  const concurrent = tracker.result(opts.consults, opts.serverCpuMs);
  await Promise.all(many.map(closeConsult));
  if (tracker.errors.length > 0) console.warn(`chat latency, ${opts.consults} consults: ${tracker.errors.join("; ")}`);
  return {
    single,
    concurrent: { ...concurrent, intervalMs: opts.intervalMs, durationMs: opts.durationMs, ratePerSecond: Math.round((opts.consults * 1000) / opts.intervalMs) },
  };
}
