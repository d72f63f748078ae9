import "server-only";
// One Server-Sent Events stream per participant. It sends the consult's log from a cursor
// (`Last-Event-ID`, else `?after=`), then waits for the notifier or a poll tick, whichever comes
// first. Every tick re-checks the caller's rows (a removed participant or disabled user is cut
// off within one tick), and a heartbeat comment keeps proxies from closing an idle stream.
// A stream ends itself after `maxMs` (STREAM_MAX_SECONDS: below a serverless platform's limit on a
// response), or when the process shuts down, with a `reconnect` event: the browser opens the next
// stream at once from the last event it applied, so nothing is lost or shown twice, and the other
// side sees no "offline" in between.
import type { Db } from "../db";
import { drainSignal, streamOpened } from "../lifecycle";
import { loadConsultAccess, type ConsultAccess } from "../authz";
import { deleteOldSignals, readEvents, withEvents } from "./log";
import { getNotifier } from "./notifier";
import { recheckAccess, recheckWindowMs } from "./recheck";
import type { StreamEvent } from "@/lib/shared/api";
import { errField, getLog } from "../log";

export const POLL_MS = 2_000;
export const HEARTBEAT_MS = 15_000;
export const MAX_STREAM_MS = 250_000;
const CLEANUP_EVERY_MS = 10 * 60_000;
const READ_LIMIT = 200;

const g = globalThis as { __parleyLastCleanup?: number };

function isAbout(e: StreamEvent, participantId: string): boolean {
  const payload = e.payload;
  return typeof payload === "object" && payload !== null && !Array.isArray(payload) && payload.participantId === participantId;
}

/** The live rows after the cursor, in seq order, each once; empties `live`. */
function takeLive(live: StreamEvent[], cursor: number): StreamEvent[] {
  const bySeq = new Map<number, StreamEvent>();
  for (const e of live.splice(0)) if (e.seq > cursor) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Whether a batch of just-committed rows can be written without reading the log: the caller is in
 * the consult (its filter is the plain "broadcast or addressed to me"), the batch starts right after
 * the cursor and has no gap (rows commit in seq order, so nothing in between can be missing), and
 * nothing in it changes what the caller may see.
 */
export function deliverableLive(batch: readonly StreamEvent[], cursor: number, admitted: boolean): boolean {
  if (!admitted) return false;
  let expected = cursor + 1;
  for (const e of batch) {
    if (e.seq !== expected || e.kind === "admission" || e.kind === "consult") return false;
    expected++;
  }
  return true;
}

export function formatEvent(e: StreamEvent): string {
  return `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

export type StreamOptions = {
  db: Db;
  access: ConsultAccess;
  after: number;
  signal: AbortSignal;
  pollMs?: number;
  heartbeatMs?: number;
  maxMs?: number;
  /** aborted when the process shuts down (lib/server/lifecycle.ts) */
  drain?: AbortSignal;
};

export function openEventStream(opts: StreamOptions): ReadableStream<Uint8Array> {
  const { db, signal } = opts;
  const consultId = opts.access.consult.id;
  const userId = opts.access.user.id;
  // The session the stream was opened with: ending it (sign-out, idle, an admin) closes the stream.
  const sessionId = opts.access.user.sessionId;
  const pollMs = opts.pollMs ?? POLL_MS;
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  const maxMs = opts.maxMs ?? MAX_STREAM_MS;
  const drain = opts.drain ?? drainSignal();
  const encoder = new TextEncoder();
  let access = opts.access;
  let cursor = opts.after;
  let closed = false;

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      // A wake-up that arrives while the loop is busy is remembered, never lost. One from this
      // process carries the rows just committed (`live`); any other one means "read the log".
      let dirty = true;
      const live: StreamEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = getNotifier().subscribe(consultId, (events) => {
        if (events && events.length > 0) live.push(...events);
        else dirty = true;
        wake?.();
      });
      const onAbort = () => wake?.();
      signal.addEventListener("abort", onAbort);
      drain.addEventListener("abort", onAbort);
      const ended = streamOpened();
      const started = Date.now();
      /** the stream ends by plan (time limit, shutdown), not because the caller left or lost access */
      let planned = false;
      let lastWrite = Date.now();
      let lastTouch = 0;
      let lastCheck = Date.now();

      const presence = (type: "online" | "offline") =>
        withEvents(db, consultId, async (tx, emit) => {
          await tx.participant.update({ where: { id: access.participant.id }, data: { lastSeenAt: type === "online" ? new Date() : null } });
          emit({ consultId, kind: "presence", type, from: access.participant.id, payload: { participantId: access.participant.id } });
        });
      /** Re-reads the caller's rows now; false when they are out. */
      let generation = 0;
      const recheck = async () => {
        generation++;
        const fresh = await loadConsultAccess(db, userId, consultId, sessionId);
        lastCheck = Date.now();
        if (fresh) access = fresh;
        return fresh !== undefined;
      };
      // The periodic re-check runs beside the loop (sharing its query with other streams), so it
      // never holds up an event; its answer is taken unless a direct re-check came in between.
      let periodic: Promise<void> | undefined;
      let revoked = false;
      let checkFailed: Error | undefined;
      const startPeriodicCheck = () => {
        const asked = generation;
        lastCheck = Date.now();
        periodic = recheckAccess(db, { userId, consultId, sessionId }, recheckWindowMs(pollMs)).then(
          (fresh) => {
            periodic = undefined;
            if (asked !== generation) return;
            if (fresh) access = fresh;
            else revoked = true;
            wake?.();
          },
          (err: unknown) => {
            periodic = undefined;
            checkFailed = err instanceof Error ? err : new Error(String(err));
            wake?.();
          },
        );
      };

      try {
        write(`retry: 2000\n\n`);
        await presence("online");
        lastTouch = Date.now();
        while (!signal.aborted) {
          if (drain.aborted || Date.now() - started >= maxMs) {
            planned = true;
            // Reconnect now, and (for a browser that missed the event) soon: to this instance or,
            // when it is shutting down, to another one behind the load balancer.
            write(`retry: 500\nevent: reconnect\ndata: {}\n\n`);
            break;
          }
          if (checkFailed) throw checkFailed;
          if (revoked) {
            write(`event: revoked\ndata: {}\n\n`);
            break;
          }
          if (!dirty && live.length > 0) {
            // Rows this process just committed: written as they are when they follow the cursor
            // without a gap; anything else (a gap, an admission or consult event, a participant
            // in the waiting room) is read from the log as before.
            const batch = takeLive(live, cursor);
            if (batch.length > 0) {
              if (deliverableLive(batch, cursor, access.participant.state === "admitted")) {
                for (const e of batch) {
                  if (e.to === null || e.to === access.participant.id) {
                    write(formatEvent(e));
                    lastWrite = Date.now();
                  }
                  cursor = e.seq;
                }
              } else {
                dirty = true;
              }
            }
          }
          if (dirty) {
            dirty = false;
            const events = await readEvents(db, consultId, { participantId: access.participant.id, admitted: access.participant.state === "admitted" }, cursor, READ_LIMIT);
            let widened = false;
            for (const e of events) {
              write(formatEvent(e));
              cursor = e.seq;
              lastWrite = Date.now();
              // The batch was filtered for a participant in the waiting room: once it is admitted,
              // read again from here with what it may see now, or later broadcasts would be lost.
              if (e.kind === "admission" && isAbout(e, access.participant.id) && e.type === "admitted") {
                widened = true;
                break;
              }
            }
            if (events.length === READ_LIMIT || widened) dirty = true;
            // Admission, removal or the end of the consult change what this caller may see.
            if (widened || events.some((e) => e.kind === "admission" || e.kind === "consult")) {
              if (!(await recheck())) {
                write(`event: revoked\ndata: {}\n\n`);
                break;
              }
              dirty = true;
            }
            if (dirty) continue;
          }
          await new Promise<void>((resolve) => {
            const t = setTimeout(
              () => {
                dirty = true; // the poll: catches what another instance wrote without a NOTIFY
                resolve();
              },
              Math.max(0, Math.min(pollMs, maxMs - (Date.now() - started))),
            );
            wake = () => {
              clearTimeout(t);
              resolve();
            };
            if (dirty || live.length > 0 || revoked || checkFailed !== undefined || signal.aborted || drain.aborted) wake();
          });
          wake = undefined;
          if (signal.aborted) break;
          const now = Date.now();
          // The caller's rows are re-read at least every poll interval, whatever wakes the loop.
          if (now - lastCheck >= pollMs && !periodic) startPeriodicCheck();
          if (now - lastWrite >= heartbeatMs) {
            write(`: heartbeat\n\n`);
            lastWrite = now;
          }
          if (now - lastTouch >= heartbeatMs) {
            await db.participant.update({ where: { id: access.participant.id }, data: { lastSeenAt: new Date() } });
            lastTouch = now;
          }
          if (now - (g.__parleyLastCleanup ?? 0) > CLEANUP_EVERY_MS) {
            g.__parleyLastCleanup = now;
            await deleteOldSignals(db);
          }
        }
      } catch (err) {
        if (!signal.aborted) getLog().warn({ consult: consultId, err: errField(err) }, "event stream ended by an error");
      } finally {
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
        drain.removeEventListener("abort", onAbort);
        // After a planned end the browser is back within a moment: no "offline" for the other side.
        if (!planned) await presence("offline").catch(() => undefined);
        closed = true;
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
        ended();
      }
    },
    cancel() {
      closed = true;
    },
  });
}
