import "server-only";
// The consult's event log: every signal, presence change, admission and notice is a row with a
// per-consult, gap-free, increasing `seq`. Appends take a row lock on the consult (by bumping its
// `eventSeq`), so rows become visible in seq order and a reader that has seen seq n has seen all
// rows below n: resuming from any id loses nothing and repeats nothing.
import type { Db, Prisma } from "../db";
import type { EventKind, StreamEvent } from "@/lib/shared/api";
import { getNotifier } from "./notifier";

export type Tx = Prisma.TransactionClient;

export type NewEvent = {
  consultId: string;
  kind: EventKind;
  type: string;
  from?: string | null;
  to?: string | null;
  payload?: Prisma.InputJsonValue;
};

type EventRow = { seq: bigint; kind: EventKind; type: string; fromParticipantId: string | null; toParticipantId: string | null; payload: unknown; createdAt: Date };

/** A stored row as streams send it (the same whether read back from the log or just written). */
export function toStreamEvent(r: EventRow): StreamEvent {
  return {
    seq: Number(r.seq),
    kind: r.kind,
    type: r.type,
    from: r.fromParticipantId,
    to: r.toParticipantId,
    payload: r.payload as StreamEvent["payload"],
    at: r.createdAt.toISOString(),
  };
}

/** Appends the events; returns the stored rows by consult, in seq order. */
async function append(tx: Tx, events: NewEvent[]): Promise<Map<string, StreamEvent[]>> {
  const byConsult = new Map<string, NewEvent[]>();
  for (const e of events) byConsult.set(e.consultId, [...(byConsult.get(e.consultId) ?? []), e]);
  const stored = new Map<string, StreamEvent[]>();
  for (const [consultId, list] of byConsult) {
    const { eventSeq } = await tx.consult.update({
      where: { id: consultId },
      data: { eventSeq: { increment: list.length } },
      select: { eventSeq: true },
    });
    const first = eventSeq - BigInt(list.length) + 1n;
    const rows = await tx.event.createManyAndReturn({
      data: list.map((e, i) => ({
        consultId,
        seq: first + BigInt(i),
        kind: e.kind,
        type: e.type,
        fromParticipantId: e.from ?? null,
        toParticipantId: e.to ?? null,
        payload: e.payload ?? {},
      })),
      select: { seq: true, kind: true, type: true, fromParticipantId: true, toParticipantId: true, payload: true, createdAt: true },
    });
    stored.set(consultId, rows.map(toStreamEvent).sort((a, b) => a.seq - b.seq));
  }
  return stored;
}

/**
 * Runs `fn` in one transaction; the events it emits are appended at its end, committed with its
 * writes (all or nothing), and streams are woken after the commit.
 *
 * Lock order: the consult's row is locked first (`consultId`), before `fn` touches any other row,
 * so two transactions on one consult can never wait on each other in a cycle. A transaction the
 * database still aborts as a write conflict is retried a few times.
 */
const TX_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

export async function withEvents<T>(db: Db, consultId: string | null, fn: (tx: Tx, emit: (e: NewEvent) => void) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const pending: NewEvent[] = [];
    try {
      let stored = new Map<string, StreamEvent[]>();
      const result = await db.$transaction(async (tx) => {
        if (consultId) await tx.$executeRaw`SELECT 1 FROM "Consult" WHERE id = ${consultId}::uuid FOR UPDATE`;
        const value = await fn(tx, (e) => pending.push(e));
        if (pending.length > 0) stored = await append(tx, pending);
        return value;
        // A burst on one consult queues for connections and the row lock: wait for a connection
        // (Prisma's default is 2 s) rather than refuse a signal or a message on a busy server.
      }, TX_OPTIONS);
      for (const [id, events] of stored) {
        await getNotifier().publish(id, events, (channel, payload) => db.$executeRaw`SELECT pg_notify(${channel}, ${payload})`);
      }
      return result;
    } catch (err) {
      if (attempt >= 3 || !isWriteConflict(err)) throw err;
    }
  }
}

function isWriteConflict(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && (err as { code?: unknown }).code === "P2034";
}

export async function appendEvent(db: Db, e: NewEvent): Promise<void> {
  await withEvents(db, e.consultId, (_tx, emit) => {
    emit(e);
    return Promise.resolve();
  });
}

export type Audience = { participantId: string; admitted: boolean };

/**
 * Events after `afterSeq` that this participant may see: broadcasts and those addressed to it.
 * A participant still in the waiting room sees only consult events, admission events about
 * itself, and what is addressed to it.
 */
export async function readEvents(db: Db, consultId: string, who: Audience, afterSeq: number, limit = 200): Promise<StreamEvent[]> {
  const rows = await db.event.findMany({
    where: {
      consultId,
      seq: { gt: BigInt(afterSeq) },
      OR: who.admitted
        ? [{ toParticipantId: null }, { toParticipantId: who.participantId }]
        : [
            { toParticipantId: who.participantId },
            { toParticipantId: null, kind: "consult" },
            // only its own admission: a waiting patient learns nothing about anyone else
            { toParticipantId: null, kind: "admission", payload: { path: ["participantId"], equals: who.participantId } },
          ],
    },
    orderBy: { seq: "asc" },
    take: limit,
  });
  return rows.map(toStreamEvent);
}

export async function headSeq(db: Db, consultId: string): Promise<number> {
  const c = await db.consult.findUnique({ where: { id: consultId }, select: { eventSeq: true } });
  return c ? Number(c.eventSeq) : 0;
}

export const SIGNAL_TTL_MS = 60 * 60 * 1000;

/**
 * Signals are only useful while a call is being set up, presence (online, away, typing) and
 * message receipts only while people are in the room; old ones are deleted. Admissions and notices
 * stay as the consult's history. Returns how many rows went.
 */
export async function deleteOldSignals(db: Db, now = new Date(), ttlMs = SIGNAL_TTL_MS): Promise<number> {
  const r = await db.event.deleteMany({
    where: {
      createdAt: { lt: new Date(now.getTime() - ttlMs) },
      OR: [{ kind: "signal" }, { kind: "presence" }, { kind: "message", type: "receipt" }],
    },
  });
  return r.count;
}
