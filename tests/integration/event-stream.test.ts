// lib/server/events/stream.ts (openEventStream) on both databases: cursors, wake-ups, ids, heartbeats,
// cut-off on removal, and exactly-once delivery across a resume.
import { beforeAll, expect, it } from "vitest";

import { type ConsultAccess } from "@/lib/server/authz";
import { admit, createConsult, revokeInvite } from "@/lib/server/consults";
import type { Db } from "@/lib/server/db";
import { appendEvent, headSeq, readEvents } from "@/lib/server/events/log";
import { getNotifier } from "@/lib/server/events/notifier";
import { openEventStream } from "@/lib/server/events/stream";
import { redeemInvite } from "@/lib/server/guests";

import { accessOf, createStaff, describeBackends, ORIGIN, sleep, tokenFromUrl, setupDatabase, setupTestEnv, type Staff } from "../support/db";
import { eventOf, SseReader, type Frame } from "../support/sse";

setupTestEnv();

// Long enough that anything arriving well before it was woken by the notifier, not by a poll.
const QUIET = { pollMs: 3_000, heartbeatMs: 60_000 };
const WOKEN_WITHIN_MS = 1_500;

const events = (frames: Frame[]) => frames.flatMap((f) => eventOf(f) ?? []);
const isOwnPresence = (participantId: string, type: "online" | "offline") => (f: Frame) => {
  const e = eventOf(f);
  return e?.kind === "presence" && e.type === type && e.from === participantId;
};

describeBackends("event stream", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;

  beforeAll(async () => {
    doctor = await createStaff(t.db);
  });

  const access = (userId: string, consultId: string) => accessOf(t.db, userId, consultId);

  /** A consult with a guest, waiting or admitted. */
  async function room(admitted: boolean) {
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined);
    const doc = await access(doctor.id, id);
    if (admitted) await admit(t.db, doc, guest.participantId);
    return { id, guest, doc, pat: await access(guest.userId, id) };
  }

  const opened: { abort(): void; reader: SseReader }[] = [];

  function open(a: ConsultAccess, after: number, opts: { pollMs?: number; heartbeatMs?: number; db?: Db; maxMs?: number; drain?: AbortSignal } = {}) {
    const ac = new AbortController();
    const reader = new SseReader(
      openEventStream({
        db: opts.db ?? t.db,
        access: a,
        after,
        signal: ac.signal,
        pollMs: opts.pollMs ?? 50,
        heartbeatMs: opts.heartbeatMs ?? 60_000,
        maxMs: opts.maxMs,
        drain: opts.drain ?? new AbortController().signal,
      }),
    );
    const s = {
      reader,
      abort: () => ac.abort(),
      /** Aborts and reads to the end: the stream has finished with the database afterwards. */
      close: async () => {
        ac.abort();
        return reader.drain();
      },
    };
    opened.push(s);
    return s;
  }
  /** Opens a stream for `a` and waits until it has announced itself online and gone quiet. */
  async function openSettled(a: ConsultAccess, after: number, opts: { pollMs?: number; heartbeatMs?: number; db?: Db } = {}) {
    const s = open(a, after, opts);
    await s.reader.until(isOwnPresence(a.participant.id, "online"));
    await sleep(200);
    return s;
  }

  // Every stream ends before its test does (the next test, or closing the database, must not race it).
  // The short sleep lets streams park in their wait first: an abort that lands while a stream is
  // busy is only noticed at its next poll (the lost wake-up described below).
  async function closeAll() {
    await sleep(100);
    for (const s of opened.splice(0)) {
      s.abort();
      await s.reader.drain().catch(() => undefined);
    }
  }

  it("sends the log after the cursor, each `id:` equal to its seq, then its own presence", async () => {
    const { id, doc } = await room(true);
    for (let i = 0; i < 5; i++) await appendEvent(t.db, { consultId: id, kind: "signal", type: "candidate", from: doc.participant.id, payload: { i } });
    const head = await headSeq(t.db, id);
    const after = head - 3;
    try {
      const s = open(doc, after);
      const first = await s.reader.next();
      expect(first?.retry).toBe("2000");
      const frames = await s.reader.until(isOwnPresence(doc.participant.id, "online"));
      const got = events(frames);
      expect(got.map((e) => e.seq)).toEqual([head - 2, head - 1, head, head + 1]);
      expect(got.slice(0, 3).map((e) => e.payload)).toEqual([{ i: 2 }, { i: 3 }, { i: 4 }]);
      for (const f of frames) expect(f.id).toBe(String(eventOf(f)?.seq));
      // Presence is recorded on the participant row too.
      expect((await t.db.participant.findUniqueOrThrow({ where: { id: doc.participant.id } })).lastSeenAt).not.toBeNull();
      await sleep(100);
      await s.close();
      expect(s.reader.done).toBe(true);
      // Closing records the participant offline (in the log, for the others' streams).
      const last = await t.db.event.findFirstOrThrow({ where: { consultId: id }, orderBy: { seq: "desc" } });
      expect(last).toMatchObject({ kind: "presence", type: "offline", fromParticipantId: doc.participant.id });
      expect((await t.db.participant.findUniqueOrThrow({ where: { id: doc.participant.id } })).lastSeenAt).toBeNull();
    } finally {
      await closeAll();
    }
  });

  it("is woken by a new append without waiting for the poll", async () => {
    const { id, doc } = await room(true);
    try {
      const s = open(doc, await headSeq(t.db, id), QUIET);
      await s.reader.until(isOwnPresence(doc.participant.id, "online"));
      await sleep(200); // let it settle into its wait
      const started = Date.now();
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "offer", from: doc.participant.id, payload: { sdp: "v=0" } });
      const frames = await s.reader.until((f) => eventOf(f)?.type === "offer", 3_000);
      expect(Date.now() - started).toBeLessThan(WOKEN_WITHIN_MS);
      expect(events(frames).map((e) => e.type)).toEqual(["offer"]);
    } finally {
      await closeAll();
    }
  });

  it("sends a heartbeat comment when idle", async () => {
    const { id, doc } = await room(true);
    try {
      const s = open(doc, await headSeq(t.db, id), { pollMs: 20, heartbeatMs: 100 });
      const frames = await s.reader.until((f) => f.comments.includes("heartbeat"), 3_000);
      const beat = frames.at(-1);
      expect(beat?.id).toBeUndefined();
      expect(beat?.data).toBeUndefined();
    } finally {
      await closeAll();
    }
  });

  it("a waiting guest's stream carries only what it may see, then everything once admitted", async () => {
    const { id, doc, pat, guest } = await room(false);
    try {
      await appendEvent(t.db, { consultId: id, kind: "presence", type: "online", from: doc.participant.id });
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "to-the-guest", from: doc.participant.id, to: guest.participantId });
      const s = open(pat, 0, { pollMs: 100 });
      // Its own "waiting" admission and what is addressed to it; no presence (not even its own), no broadcast signals.
      const frames = await s.reader.until((f) => eventOf(f)?.type === "to-the-guest");
      expect(events(frames).map((e) => [e.kind, e.type])).toEqual([
        ["admission", "waiting"],
        ["signal", "to-the-guest"],
      ]);
      await admit(t.db, doc, guest.participantId);
      await s.reader.until((f) => eventOf(f)?.type === "admitted");
      await sleep(100);
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "offer", from: doc.participant.id });
      await s.reader.until((f) => eventOf(f)?.type === "offer");
      const seqs = events(s.reader.frames).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await closeAll();
    }
  });

  it("stops with `event: revoked` when the participant is removed", async () => {
    const { id, doc, pat, guest } = await room(false);
    try {
      const s = open(pat, await headSeq(t.db, id), QUIET);
      expect((await s.reader.next())?.retry).toBe("2000");
      await sleep(300); // a waiting guest sees no presence: give it time to park in its wait
      const invite = await t.db.invite.findFirstOrThrow({ where: { consultId: id, usedByUserId: guest.userId } });
      const started = Date.now();
      await revokeInvite(t.db, doc, invite.id);
      const frames = await s.reader.until((f) => f.event === "revoked", 3_000);
      expect(Date.now() - started).toBeLessThan(WOKEN_WITHIN_MS); // woken, not polled
      expect(frames.at(-1)).toMatchObject({ event: "revoked", data: "{}" });
      expect(frames.at(-1)?.id).toBeUndefined();
      // …and ends by itself, without an abort.
      await s.reader.drain(3_000);
      expect(s.reader.done).toBe(true);
    } finally {
      await closeAll();
    }
  });

  it("stops with `event: revoked` within a poll when the user is disabled", async () => {
    const { id, pat, guest } = await room(true);
    try {
      const s = open(pat, await headSeq(t.db, id), { pollMs: 50 });
      await s.reader.until(isOwnPresence(guest.participantId, "online"));
      await sleep(200); // past its post-batch access check (see the last case below for that path)
      await t.db.user.update({ where: { id: guest.userId }, data: { disabledAt: new Date() } });
      await s.reader.until((f) => f.event === "revoked", 3_000);
      await s.reader.drain(3_000);
      expect(s.reader.done).toBe(true);
    } finally {
      await closeAll();
    }
  });

  it("resuming from the last id seen delivers every event exactly once", async () => {
    const { id, doc } = await room(true);
    const from = doc.participant.id;
    const base = await headSeq(t.db, id);
    try {
      // First connection: events keep arriving while it reads; it is cut after the 5th.
      const s1 = open(doc, base);
      const appending = (async () => {
        for (let i = 0; i < 10; i++) await appendEvent(t.db, { consultId: id, kind: "signal", type: "m", from, payload: { i } });
      })();
      let seenM = 0;
      const part1 = await s1.reader.until((f) => eventOf(f)?.type === "m" && ++seenM === 5);
      const lastId = Number(part1.at(-1)?.id);
      await s1.close(); // anything it had buffered beyond lastId is dropped, like a broken connection
      await appending;
      // While disconnected, more happens.
      for (let i = 10; i < 20; i++) await appendEvent(t.db, { consultId: id, kind: "signal", type: "m", from, payload: { i } });
      const head = await headSeq(t.db, id);

      // Second connection, from the last id seen (EventSource's Last-Event-ID).
      const s2 = open(doc, lastId);
      const part2 = await s2.reader.until((f) => Number(f.id) === head + 1); // its own "online"
      const seqs = [...events(part1), ...events(part2)].map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: head + 1 - base }, (_, i) => base + 1 + i));
      const ms = [...events(part1), ...events(part2)].filter((e) => e.type === "m").map((e) => (e.payload as { i: number }).i);
      expect(ms).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await closeAll();
    }
  });

  // Regression: a batch was filtered with the access loaded before reading it, so broadcasts after
  // the guest's own admission in the same batch were filtered as "waiting" and the cursor moved
  // past them (lost for good). The stream now stops at the admission and reads again.
  it("a broadcast right after the guest's admission reaches the guest", async () => {
    const { id, doc, pat, guest } = await room(false);
    const cursor = await headSeq(t.db, id);
    // `pat` was loaded while waiting, like the route's check just before the doctor admits.
    await admit(t.db, doc, guest.participantId);
    await appendEvent(t.db, { consultId: id, kind: "signal", type: "offer", from: doc.participant.id });
    await appendEvent(t.db, { consultId: id, kind: "signal", type: "hello", from: doc.participant.id, to: guest.participantId });
    try {
      const s = open(pat, cursor, { pollMs: 100 });
      await s.reader.until((f) => eventOf(f)?.type === "hello", 3_000);
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "marker", from: doc.participant.id });
      await s.reader.until((f) => eventOf(f)?.type === "marker", 3_000);
      const got = events(s.reader.frames).filter((e) => e.kind !== "presence");
      expect(got.map((e) => e.type)).toEqual(["admitted", "offer", "hello", "marker"]);
    } finally {
      await closeAll();
    }
  });

  /**
   * An append as another app instance makes it: the row is committed, and this process only hears a
   * bare wake-up (its NOTIFY), with no rows, so its streams must read the log.
   */
  async function appendElsewhere(consultId: string, type: string, from: string, wake = true) {
    await t.db.$transaction(async (tx) => {
      const { eventSeq } = await tx.consult.update({ where: { id: consultId }, data: { eventSeq: { increment: 1 } }, select: { eventSeq: true } });
      await tx.event.create({ data: { consultId, seq: eventSeq, kind: "signal", type, fromParticipantId: from, payload: {} } });
    });
    if (wake) await getNotifier().publish(consultId);
  }

  /** The real client, with one hook: after an `event.findMany` returns, run `inject` once; reads are counted. */
  function hookReads() {
    const hook: { inject?: () => Promise<void>; reads: number } = { reads: 0 };
    const db = new Proxy(t.db, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop === "event") {
          const delegate = value as Db["event"];
          return new Proxy(delegate, {
            get(d, p) {
              const v: unknown = Reflect.get(d, p, d);
              if (p !== "findMany") return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(d) : v;
              return async (args: Parameters<Db["event"]["findMany"]>[0]) => {
                hook.reads++;
                const rows = await d.findMany(args);
                const fn = hook.inject;
                hook.inject = undefined;
                if (fn) await fn();
                return rows;
              };
            },
          });
        }
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { db, hook };
  }

  // Regression: the notifier's callback used to call `wake` only while the stream was parked in its
  // wait, so an append that committed while the stream was reading (after its readEvents, before
  // the wait) lost its wake-up and waited for the next poll (POLL_MS = 2 s). Reproduced
  // deterministically by committing an append right after the stream's read returns; both appends
  // come from "another instance" (bare wake-ups), so the stream reads the log each time.
  it("an append committed while the stream is reading still wakes it at once", async () => {
    const { id, doc } = await room(true);
    const { db, hook } = hookReads();
    try {
      const s = await openSettled(doc, await headSeq(t.db, id), { ...QUIET, db });
      // Wake the stream with one event; while it reads that, another one commits.
      hook.inject = () => appendElsewhere(id, "second", doc.participant.id);
      const started = Date.now();
      await appendElsewhere(id, "first", doc.participant.id);
      await s.reader.until((f) => eventOf(f)?.type === "second", 4_000);
      expect(Date.now() - started).toBeLessThan(WOKEN_WITHIN_MS);
    } finally {
      await closeAll();
    }
  });

  it("the same when the append during the read is this process's own (its rows come with the wake-up)", async () => {
    const { id, doc } = await room(true);
    const { db, hook } = hookReads();
    try {
      const s = await openSettled(doc, await headSeq(t.db, id), { ...QUIET, db });
      hook.inject = () => appendEvent(t.db, { consultId: id, kind: "signal", type: "second", from: doc.participant.id });
      const started = Date.now();
      await appendElsewhere(id, "first", doc.participant.id);
      await s.reader.until((f) => eventOf(f)?.type === "second", 4_000);
      expect(Date.now() - started).toBeLessThan(WOKEN_WITHIN_MS);
      expect(
        events(s.reader.frames)
          .filter((e) => e.kind === "signal")
          .map((e) => e.type),
      ).toEqual(["first", "second"]);
    } finally {
      await closeAll();
    }
  });

  it("writes rows committed in this process without reading the log, exactly as the log has them", async () => {
    const { id, doc, pat } = await room(true);
    const { db, hook } = hookReads();
    try {
      const after = await headSeq(t.db, id);
      const s = await openSettled(pat, after, { ...QUIET, db });
      const readsBefore = hook.reads;
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "offer", from: doc.participant.id, to: pat.participant.id, payload: { sdp: "v=0", n: [1, 2], nested: { b: 1, a: "x" } } });
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "not-for-the-patient", from: pat.participant.id, to: doc.participant.id });
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "broadcast", from: doc.participant.id });
      await s.reader.until((f) => eventOf(f)?.type === "broadcast", 3_000);
      expect(hook.reads).toBe(readsBefore);
      const fromLog = await readEvents(t.db, id, { participantId: pat.participant.id, admitted: true }, after);
      const sent = events(s.reader.frames);
      expect(sent).toEqual(fromLog.filter((e) => e.seq <= (sent.at(-1)?.seq ?? 0)));
      expect(sent.map((e) => e.type)).not.toContain("not-for-the-patient");
      // each frame's id is its seq
      expect(s.reader.frames.filter((f) => f.id).map((f) => Number(f.id))).toEqual(sent.map((e) => e.seq));
    } finally {
      await closeAll();
    }
  });

  it("a wake-up whose rows do not follow the cursor (a row from elsewhere in between) reads the log: nothing skipped", async () => {
    const { id, doc } = await room(true);
    const { db, hook } = hookReads();
    try {
      const s = await openSettled(doc, await headSeq(t.db, id), { ...QUIET, db });
      const readsBefore = hook.reads;
      await appendElsewhere(id, "from-elsewhere", doc.participant.id, false); // its NOTIFY is late
      const started = Date.now();
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "local", from: doc.participant.id });
      await s.reader.until((f) => eventOf(f)?.type === "local", 3_000);
      expect(Date.now() - started).toBeLessThan(WOKEN_WITHIN_MS);
      expect(hook.reads).toBeGreaterThan(readsBefore);
      expect(
        events(s.reader.frames)
          .filter((e) => e.kind === "signal")
          .map((e) => e.type),
      ).toEqual(["from-elsewhere", "local"]);
    } finally {
      await closeAll();
    }
  });

  // Regression: a removal found in a batch of events (here: a stream opened with an access loaded
  // just before the removal committed) used to close the stream silently, without `event: revoked`,
  // so the client reconnected into a 404 instead of showing "removed".
  it("announces revoked even when the removal arrives in a batch of events", async () => {
    const { id, doc, pat, guest } = await room(false);
    const stale = pat; // loaded while the guest was still in
    const invite = await t.db.invite.findFirstOrThrow({ where: { consultId: id, usedByUserId: guest.userId } });
    await revokeInvite(t.db, doc, invite.id);
    try {
      const s = open(stale, 0, QUIET);
      const frames = await s.reader.drain(3_000);
      expect(frames.some((f) => f.event === "revoked")).toBe(true);
    } finally {
      await closeAll();
    }
  });

  it("ends itself after its time limit with `reconnect`, writes no offline, and the next stream resumes without a gap", async () => {
    const { id, doc } = await room(true);
    try {
      const s = open(doc, 0, { pollMs: 3_000, maxMs: 800 });
      const started = Date.now();
      const frames = await s.reader.drain(3_000);
      // The limit holds even with a poll interval longer than it.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(frames.at(-1)).toMatchObject({ event: "reconnect", retry: "500" });
      expect(await t.db.event.count({ where: { consultId: id, kind: "presence", type: "offline" } })).toBe(0);
      const seen = events(frames).at(-1)?.seq ?? 0;
      await appendEvent(t.db, { consultId: id, kind: "signal", type: "between-streams", from: doc.participant.id });
      const next = open(doc, seen, QUIET);
      const got = events(await next.reader.until((f) => eventOf(f)?.type === "between-streams"));
      expect(got[0]?.seq).toBe(seen + 1);
    } finally {
      await closeAll();
    }
  });

  it("ends at once with `reconnect` when the process shuts down", async () => {
    const { doc } = await room(true);
    const drain = new AbortController();
    try {
      const s = open(doc, 0, { ...QUIET, drain: drain.signal });
      await s.reader.until(isOwnPresence(doc.participant.id, "online"));
      await sleep(100);
      const started = Date.now();
      drain.abort();
      const frames = await s.reader.drain(3_000);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(frames.at(-1)?.event).toBe("reconnect");
    } finally {
      await closeAll();
    }
  });
});
