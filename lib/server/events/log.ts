import "server-only";
// The consult's event log: every signal, presence change, admission and notice is a row with a
// per-consult, gap-free, increasing `seq`. Appends take a row lock on the consult (by bumping its
// `eventSeq`), so rows become visible in seq order and a reader that has seen seq n has seen all
// rows below n: resuming from any id loses nothing and repeats nothing.
import type { Db, Prisma } from "../db";
import { isWriteConflict } from "../db/errors";
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
    stored.set(
      consultId,
      rows.map(toStreamEvent).sort((a, b) => a.seq - b.seq),
    );
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

export async function appendEvent(db: Db, e: NewEvent): Promise<void> {
  await withEvents(db, e.consultId, (_tx, emit) => {
    emit(e);
    return Promise.resolve();
  });
}

/** A chat message's row, as appendMessage stores it (bytes already decoded). */
export type MessageRow = {
  id: string;
  consultId: string;
  senderDeviceId: string;
  senderUserId: string;
  senderParticipantId: string;
  seq: bigint;
  keyId: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  createdAt: Date;
};

/**
 * The hot path of chat: a message row and its `message`/`new` event in one statement (atomic on
 * its own, one round trip), with the lock order of withEvents — the consult's row is locked and its
 * `eventSeq` bumped before anything else is written, so the event gets the next gap-free seq. The
 * sender device must still be the sender's and not revoked; a used message id or device seq aborts
 * the whole statement with a unique violation (the caller tells which). With a real PostgreSQL the
 * NOTIFY for other instances is in the same statement and is delivered at its commit; local streams
 * are woken here with the stored event.
 *
 * Answers `device: false` when the device check failed, and `event: undefined` when there is no
 * such consult; nothing was written in either case.
 */
export async function appendMessage(db: Db, m: MessageRow, payload: Prisma.InputJsonValue): Promise<{ device: boolean; event: StreamEvent | undefined }> {
  const notifier = getNotifier();
  const notify = notifier.crossInstance ? `, (SELECT count(*) FROM (SELECT pg_notify($13, $14) FROM e) n)::int AS notified` : "";
  const params: unknown[] = [m.senderDeviceId, m.senderUserId, m.consultId, m.id, m.senderParticipantId, m.seq, m.keyId, m.iv, m.ciphertext, m.createdAt.toISOString(), JSON.stringify(payload), "new"];
  if (notify) params.push(notifier.channel, notifier.notifyPayload(m.consultId));
  const rows = await db.$queryRawUnsafe<{ deviceOk: number; seq: bigint | null; payload: unknown }[]>(
    `WITH ok AS (
       SELECT 1 FROM "Device" WHERE id = $1::uuid AND "userId" = $2::uuid AND "revokedAt" IS NULL
     ), c AS (
       UPDATE "Consult" SET "eventSeq" = "eventSeq" + 1, "updatedAt" = $10::timestamptz AT TIME ZONE 'UTC'
       WHERE id = $3::uuid AND EXISTS (SELECT 1 FROM ok)
       RETURNING "eventSeq"
     ), m AS (
       INSERT INTO "Message" (id, "consultId", "senderDeviceId", "senderParticipantId", seq, "keyId", iv, ciphertext, "createdAt")
       SELECT $4::uuid, $3::uuid, $1::uuid, $5::uuid, $6::bigint, $7::bytea, $8::bytea, $9::bytea, $10::timestamptz AT TIME ZONE 'UTC' FROM c
       RETURNING id
     ), e AS (
       INSERT INTO "Event" ("consultId", seq, kind, type, "fromParticipantId", "toParticipantId", payload, "createdAt")
       SELECT $3::uuid, c."eventSeq", 'message'::"EventKind", $12, $5::uuid, NULL, $11::jsonb, $10::timestamptz AT TIME ZONE 'UTC' FROM c, m
       RETURNING seq, payload
     )
     SELECT (SELECT count(*) FROM ok)::int AS "deviceOk", e.seq, e.payload${notify}
     FROM (SELECT 1) AS one LEFT JOIN e ON true`,
    ...params,
  );
  const row = rows[0];
  if (!row) throw new Error("the message insert returned no row");
  if (!row.deviceOk) return { device: false, event: undefined };
  if (row.seq === null) return { device: true, event: undefined };
  const event = toStreamEvent({
    seq: row.seq,
    kind: "message",
    type: "new",
    fromParticipantId: m.senderParticipantId,
    toParticipantId: null,
    payload: typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload,
    createdAt: m.createdAt,
  });
  await notifier.publish(m.consultId, [event]);
  return { device: true, event };
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
