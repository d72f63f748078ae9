// A small simulation of the handshake over the consult's signaling log, for the CommitReveal tests:
// devices post commits and reveals to one shared, totally ordered log and read it with their own
// cursor, following docs/protocol.md §2 with lib/crypto's CommitReveal deciding the order.
import {
  callCode,
  CommitReveal,
  commitment,
  decodeHello,
  encodeHello,
  equal,
  generateEphemeral,
  generateSigningKey,
  pairwiseKeyBytes,
  randomBytes,
  signHello,
  toHex,
  transcriptHash,
  verifyHello,
  type Bytes,
  type CommitOutcome,
  type EphemeralKeyPair,
  type SigningKeyPair,
} from "@/lib/crypto";

export type Entry =
  | { kind: "commit"; device: string; sid: Bytes; c: Bytes }
  | { kind: "reveal"; device: string; sid: Bytes; to: Bytes; hello: Bytes; sig: Bytes };

export class Log {
  readonly entries: Entry[] = [];
  post(e: Entry): void {
    this.entries.push(e);
  }
}

/** One join of a device: session id, ephemeral key, signed hello, commitment. */
export type Session = { sid: Bytes; ephemeral: EphemeralKeyPair; hello: Bytes; sig: Bytes; commit: Bytes };

export type Device = { name: string; id: Bytes; identity: SigningKeyPair };

export const CONSULT_ID = randomBytes(16);

export async function newDevice(name: string): Promise<Device> {
  return { name, id: randomBytes(16), identity: await generateSigningKey() };
}

export async function newSession(d: Device): Promise<Session> {
  const sid = randomBytes(16);
  const ephemeral = await generateEphemeral();
  const hello = encodeHello({ consultId: CONSULT_ID, deviceId: d.id, sid, identity: d.identity.spki, ephemeral: ephemeral.publicRaw, dtls: randomBytes(32) });
  return { sid, ephemeral, hello, sig: await signHello(d.identity.privateKey, hello), commit: await commitment(hello) };
}

export type Refusal = { entry: Entry; error: string };

/**
 * A device's client. It reads the log in order. After each entry (or, with `batch`, after reading
 * everything available) it reveals when CommitReveal allows it. A "restart" starts a new session
 * that reads the log again from the beginning (as a reload does). Entries of its own device are
 * skipped (the log says which device posted what). With `skipSpent`, the client itself drops a
 * commit that a reveal on the log is already addressed to (PROTOCOL §2.2: such a commit is spent),
 * which CommitReveal has no input for.
 */
export class Party {
  private state: { session: Session; cr: CommitReveal } | undefined;
  cursor = 0;
  restarts = 0;
  peerHello: Bytes | undefined;
  readonly refusals: Refusal[] = [];
  private readonly spare: Session[];

  constructor(
    readonly device: Device,
    readonly log: Log,
    sessions: Session[],
    readonly opts: { batch?: boolean; skipSpent?: boolean } = {},
  ) {
    this.spare = [...sessions];
  }

  /** the log's length when this session joined: history, read in one go before revealing */
  private historyEnd = 0;

  async join(): Promise<void> {
    const session = this.spare.shift() ?? (await newSession(this.device));
    this.state = { session, cr: new CommitReveal(session.sid) };
    this.cursor = 0;
    this.historyEnd = this.log.entries.length;
    this.peerHello = undefined;
    this.log.post({ kind: "commit", device: this.device.name, sid: session.sid, c: session.commit });
    this.cr.commitPosted();
  }

  get joined(): boolean {
    return this.state !== undefined;
  }

  get session(): Session {
    if (!this.state) throw new Error(`${this.device.name} has not joined`);
    return this.state.session;
  }

  get cr(): CommitReveal {
    if (!this.state) throw new Error(`${this.device.name} has not joined`);
    return this.state.cr;
  }

  get pending(): boolean {
    return this.joined && this.cursor < this.log.entries.length;
  }

  /** Reads one entry (or all pending ones with `batch`); returns false when there was nothing. */
  async step(): Promise<boolean> {
    if (!this.pending) return false;
    do {
      const e = this.log.entries[this.cursor++];
      if (!e) continue;
      if (e.device === this.device.name) {
        // Our own older sessions' reveals spend the commits they answered, too.
        if (e.kind === "reveal" && !equal(e.sid, this.session.sid)) this.cr.revealSeen(e.to);
        continue;
      }
      if (e.kind === "commit") {
        if (this.opts.skipSpent === true && this.log.entries.some((r) => r.kind === "reveal" && equal(r.to, e.sid))) continue;
        let outcome: CommitOutcome;
        try {
          outcome = this.cr.peerCommit(e.sid, e.c);
        } catch (err) {
          this.refusals.push({ entry: e, error: String(err) });
          continue;
        }
        if (outcome === "restart") {
          this.restarts++;
          await this.join();
          return true;
        }
      } else if (!equal(e.to, this.session.sid)) {
        this.cr.revealSeen(e.to); // a reveal to another session: that session's commit is spent
      } else {
        try {
          this.cr.acceptReveal(e.sid, e.to, await commitment(e.hello));
          await verifyHello(e.hello, e.sig);
          this.peerHello = e.hello;
        } catch (err) {
          this.refusals.push({ entry: e, error: String(err) });
        }
      }
    } while ((this.opts.batch === true || this.cursor < this.historyEnd) && this.pending);
    this.tryReveal();
    return true;
  }

  tryReveal(): void {
    const to = this.cr.revealTarget();
    if (to) this.log.post({ kind: "reveal", device: this.device.name, sid: this.session.sid, to, hello: this.session.hello, sig: this.session.sig });
  }

  /** TH, pairwise key and call code of the accepted handshake. */
  async keys(): Promise<{ th: string; pairwise: string; code: string }> {
    if (!this.peerHello) throw new Error(`${this.device.name} accepted no hello`);
    const th = await transcriptHash(this.session.hello, this.peerHello);
    const pairwise = await pairwiseKeyBytes(this.session.ephemeral.privateKey, decodeHello(this.peerHello).ephemeral, th);
    return { th: toHex(th), pairwise: toHex(pairwise), code: (await callCode(th)).text };
  }
}

/** Runs parties until nobody has anything left to read (or `limit` steps). */
export async function settle(parties: Party[], limit = 1000): Promise<number> {
  let steps = 0;
  for (;;) {
    let progressed = false;
    for (const p of parties) {
      if (await p.step()) {
        progressed = true;
        if (++steps >= limit) return steps;
      }
    }
    if (!progressed) return steps;
  }
}
