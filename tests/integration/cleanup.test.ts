// lib/server/cleanup.ts (the scheduled clean-up: /api/cron/cleanup, or the server's own timer) on
// both databases: it removes what has expired and keeps what has not, and says how much went.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

import { runCleanup } from "@/lib/server/cleanup";
import { FORGET_AFTER_MS } from "@/lib/server/auth/backoff";
import { appendEvent } from "@/lib/server/events/log";
import { createConsult } from "@/lib/server/consults";
import { RATE_FORGET_AFTER_MS } from "@/lib/server/rate-limits";
import { FsBlobStore } from "@/lib/server/storage/fs-driver";

import { createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv } from "../support/db";

setupTestEnv();

/** RETENTION_DAYS unset: nothing is due (tests/integration/retention.test.ts covers it set). */
const NO_RETENTION = { consults: 0, messages: 0, documents: 0, bytes: 0, storeFailures: 0 };

describeBackends("cleanup", (kind) => {
  const t = setupDatabase(kind);

  it("removes old signals, expired passkey challenges, forgotten sign-in counts and ended abuse-limit windows; keeps the rest", async () => {
    const now = new Date();
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const doctor = await createStaff(t.db);
    const { id } = await createConsult(t.db, doctor, ORIGIN);
    await appendEvent(t.db, { consultId: id, kind: "signal", type: "old-offer", from: null });
    await appendEvent(t.db, { consultId: id, kind: "message", type: "old-message", from: null });
    await t.db.event.updateMany({ where: { consultId: id }, data: { createdAt: ago(2 * 60 * 60 * 1000) } });
    await appendEvent(t.db, { consultId: id, kind: "signal", type: "fresh-offer", from: null });
    await t.db.webAuthnChallenge.createMany({
      data: [
        { challenge: "expired", purpose: "authenticate", expiresAt: ago(1_000) },
        { challenge: "live", purpose: "authenticate", expiresAt: new Date(now.getTime() + 60_000) },
      ],
    });
    await t.db.signInThrottle.createMany({
      data: [
        { key: "account:forgotten@clinic.example", failures: 3, lastFailureAt: ago(FORGET_AFTER_MS + 1_000), nextAllowedAt: ago(FORGET_AFTER_MS) },
        { key: "account:recent@clinic.example", failures: 6, lastFailureAt: ago(1_000), nextAllowedAt: now },
      ],
    });

    const doctorPid = (await t.db.participant.findFirstOrThrow({ where: { consultId: id } })).id;
    await t.db.participantRate.createMany({
      data: [
        { participantId: doctorPid, kind: "signal", windowStart: ago(RATE_FORGET_AFTER_MS + 1_000), count: 40 },
        { participantId: doctorPid, kind: "message", windowStart: ago(1_000), count: 3 },
      ],
    });

    const store = new FsBlobStore(mkdtempSync(path.join(tmpdir(), "parley-cleanup-")), Buffer.alloc(32, 7));
    expect(await runCleanup(t.db, store, now)).toEqual({ signals: 1, uploads: 0, challenges: 1, throttles: 1, rates: 1, retention: NO_RETENTION });

    const events = await t.db.event.findMany({ where: { consultId: id, type: { in: ["old-offer", "old-message", "fresh-offer"] } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["old-message", "fresh-offer"]);
    expect((await t.db.webAuthnChallenge.findMany()).map((c) => c.challenge)).toEqual(["live"]);
    expect((await t.db.signInThrottle.findMany()).map((r) => r.key)).toEqual(["account:recent@clinic.example"]);
    expect((await t.db.participantRate.findMany()).map((r) => r.kind)).toEqual(["message"]);
    // Nothing left to do: a second run removes nothing.
    expect(await runCleanup(t.db, store, now)).toEqual({ signals: 0, uploads: 0, challenges: 0, throttles: 0, rates: 0, retention: NO_RETENTION });
  });
});
