// Issue 22, item 5: retention and legal holds (lib/server/retention.ts, legal-hold.ts) with a real
// database and a real store (PostgreSQL with Ceph RGW under `npm test`; the embedded database with
// the filesystem store). Retention deletes exactly the chat and documents of consults that ended
// before RETENTION_DAYS, from the database and the store, and nothing under a hold; a store that
// fails is tried again; two instances running it at once delete (and count) each thing once.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";

import { admit, createConsult, endConsult } from "@/lib/server/consults";
import { openDatabase } from "@/lib/server/db";
import { completeUpload, createUpload, deleteFile, presignParts } from "@/lib/server/files";
import { redeemInvite } from "@/lib/server/guests";
import { placeHold, releaseHold } from "@/lib/server/legal-hold";
import { deleteRecord } from "@/lib/server/messages";
import { DAY_MS, runRetention, type RetentionReport } from "@/lib/server/retention";
import type { BlobStore } from "@/lib/server/storage/types";

import { fsStoreHarness, s3StoreHarness, type StoreHarness } from "../support/blob-stores";
import { accessOf, apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, type Staff } from "../support/db";

setupTestEnv();

const DAYS = 30;
const sum = (rs: RetentionReport[]) =>
  rs.reduce((a, r) => ({
    consults: a.consults + r.consults,
    messages: a.messages + r.messages,
    documents: a.documents + r.documents,
    bytes: a.bytes + r.bytes,
    storeFailures: a.storeFailures + r.storeFailures,
  }));

describeBackends("retention and legal holds", (kind) => {
  const t = setupDatabase(kind);
  let s: StoreHarness;
  let doctor: Staff;
  let admin: Staff;

  beforeAll(async () => {
    s = (kind === "postgres" ? await s3StoreHarness("retention") : undefined) ?? (await fsStoreHarness());
    doctor = await createStaff(t.db);
    admin = await createStaff(t.db, "admin");
  });
  afterAll(async () => {
    await s?.close();
  });

  type Made = { id: string; keys: string[]; bytes: number };

  /** A consult with `messages` sealed messages and `documents` uploaded documents, ended `endedDaysAgo` days ago (undefined: still open). */
  async function consult(o: { messages: number; documents: number; endedDaysAgo?: number }): Promise<Made> {
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    const owner = await accessOf(t.db, doctor.id, id);
    const guest = await redeemInvite(t.db, url.slice(url.lastIndexOf("/") + 1), undefined);
    await admit(t.db, owner, guest.participantId);
    const patient = await accessOf(t.db, guest.userId, id);
    const device = await t.db.device.create({ data: { userId: doctor.id, identityKey: randomBytes(91), fingerprint: randomBytes(32) } });
    for (let seq = 0; seq < o.messages; seq++) {
      await t.db.message.create({
        data: { id: randomUUID(), consultId: id, senderDeviceId: device.id, senderParticipantId: owner.participant.id, seq, keyId: randomBytes(16), iv: randomBytes(12), ciphertext: randomBytes(64) },
      });
    }
    const keys: string[] = [];
    let bytes = 0;
    for (let i = 0; i < o.documents; i++) {
      const body = Uint8Array.from(randomBytes(1000 + i));
      const fileId = randomUUID();
      await createUpload(t.db, s.store, patient, { fileId, size: body.length, partSize: 5 * 1024 * 1024 }, 1024 * 1024);
      const { urls } = await presignParts(t.db, s.store, patient, fileId, [1]);
      const res = await s.fetch(urls[0]?.url ?? "", { method: "PUT", body });
      expect(res.status).toBe(200);
      await completeUpload(t.db, s.store, patient, fileId, [{ partNumber: 1, etag: res.headers.get("etag") ?? "" }]);
      keys.push((await t.db.file.findUniqueOrThrow({ where: { id: fileId } })).storageKey);
      bytes += body.length;
    }
    if (o.endedDaysAgo !== undefined) {
      await endConsult(t.db, owner);
      await t.db.consult.update({ where: { id }, data: { endedAt: new Date(Date.now() - o.endedDaysAgo * DAY_MS) } });
    }
    return { id, keys, bytes };
  }

  const inStore = async (keys: string[]) => (await Promise.all(keys.map((k) => s.store.size(k)))).filter((n) => n !== undefined).length;
  const held = async (c: Made) => ({
    messages: await t.db.message.count({ where: { consultId: c.id } }),
    documents: await t.db.file.count({ where: { consultId: c.id } }),
    stored: await inStore(c.keys),
  });

  it("deletes the chat and documents of consults ended before RETENTION_DAYS, in the database and the store, and nothing else", async () => {
    const due = await consult({ messages: 3, documents: 2, endedDaysAgo: DAYS + 5 });
    const recent = await consult({ messages: 2, documents: 1, endedDaysAgo: DAYS - 1 });
    const onHold = await consult({ messages: 2, documents: 1, endedDaysAgo: DAYS + 5 });
    const open = await consult({ messages: 1, documents: 1 });
    await placeHold(t.db, { ...admin, stage: "full" } as never, onHold.id, "Subpoena 2026-114");

    expect(await runRetention(t.db, s.store, undefined)).toEqual({ consults: 0, messages: 0, documents: 0, bytes: 0, storeFailures: 0 }); // unset: kept
    const report = await runRetention(t.db, s.store, DAYS);
    expect(report).toEqual({ consults: 1, messages: 3, documents: 2, bytes: due.bytes, storeFailures: 0 });

    expect(await held(due)).toEqual({ messages: 0, documents: 0, stored: 0 });
    for (const kept of [recent, onHold, open]) expect(await held(kept)).toEqual({ messages: kept === open ? 1 : 2, documents: 1, stored: 1 });
    const c = await t.db.consult.findUniqueOrThrow({ where: { id: due.id } });
    expect(c.purgedAt).not.toBeNull(); // the metadata stays
    const audit = await t.db.auditEvent.findMany({ where: { consultId: due.id, action: "retention.purged" } });
    expect(audit.map((a) => a.detail)).toEqual([{ messages: 3, documents: 2, bytes: due.bytes, keyCopies: 0, complete: true, storeFailures: 0 }]);
    expect(await t.db.auditEvent.count({ where: { consultId: due.id, action: "consult.created" } })).toBe(1); // the trail stays

    // Nothing left to do.
    expect((await runRetention(t.db, s.store, DAYS)).consults).toBe(0);
  });

  it("a hold stops the doctor's own deletions too; once released, retention applies", async () => {
    const c = await consult({ messages: 2, documents: 1, endedDaysAgo: DAYS + 1 });
    const adminUser = { ...admin, stage: "full" } as never;
    await placeHold(t.db, adminUser, c.id, "Complaint under review");
    expect(await apiErrorCode(placeHold(t.db, adminUser, c.id, "again"))).toBe("conflict");
    const owner = await accessOf(t.db, doctor.id, c.id);
    expect(await apiErrorCode(deleteRecord(t.db, s.store, owner))).toBe("conflict");
    const [file] = await t.db.file.findMany({ where: { consultId: c.id } });
    expect(await apiErrorCode(deleteFile(t.db, s.store, owner, file?.id ?? ""))).toBe("conflict");
    expect(await apiErrorCode(placeHold(t.db, { ...doctor, stage: "full" } as never, c.id, "not mine to place"))).toBe("forbidden");
    expect((await runRetention(t.db, s.store, DAYS)).consults).toBe(0);
    expect(await held(c)).toEqual({ messages: 2, documents: 1, stored: 1 });

    await releaseHold(t.db, adminUser, c.id);
    expect((await runRetention(t.db, s.store, DAYS)).consults).toBe(1);
    expect(await held(c)).toEqual({ messages: 0, documents: 0, stored: 0 });
    const trail = await t.db.auditEvent.findMany({ where: { consultId: c.id, action: { startsWith: "consult.hold" } }, orderBy: { id: "asc" } });
    expect(trail.map((r) => [r.action, r.actorUserId, (r.detail as { reason: string }).reason])).toEqual([
      ["consult.hold_placed", admin.id, "Complaint under review"],
      ["consult.hold_released", admin.id, "Complaint under review"],
    ]);
  });

  it("a document the store fails to delete keeps its row and is tried again; each thing is counted once", async () => {
    const c = await consult({ messages: 1, documents: 2, endedDaysAgo: DAYS + 2 });
    let failures = 1;
    const flaky: BlobStore = Object.assign(Object.create(s.store) as BlobStore, {
      delete: async (key: string) => {
        if (failures-- > 0) throw new Error("503 SlowDown");
        await s.store.delete(key);
      },
    });
    const first = await runRetention(t.db, flaky, DAYS);
    expect(first).toMatchObject({ consults: 0, messages: 1, documents: 1, storeFailures: 1 });
    expect(await held(c)).toEqual({ messages: 0, documents: 1, stored: 1 });
    expect((await t.db.consult.findUniqueOrThrow({ where: { id: c.id } })).purgedAt).toBeNull();
    const second = await runRetention(t.db, s.store, DAYS);
    expect(second).toMatchObject({ consults: 1, messages: 0, documents: 1, storeFailures: 0 });
    expect(await held(c)).toEqual({ messages: 0, documents: 0, stored: 0 });
    const rows = await t.db.auditEvent.findMany({ where: { consultId: c.id, action: "retention.purged" }, orderBy: { id: "asc" } });
    expect(rows.map((r) => r.detail)).toEqual([
      { messages: 1, documents: 1, bytes: expect.any(Number) as number, keyCopies: 0, complete: false, storeFailures: 1 },
      { messages: 0, documents: 1, bytes: expect.any(Number) as number, keyCopies: 0, complete: true, storeFailures: 0 },
    ]);
    expect(rows.reduce((n, r) => n + (r.detail as { bytes: number }).bytes, 0)).toBe(c.bytes);
  });

  if (kind === "postgres") {
    it("two instances running the job at once delete each thing once", async () => {
      const made = await Promise.all(Array.from({ length: 6 }, () => consult({ messages: 2, documents: 1, endedDaysAgo: DAYS + 3 })));
      const other = await openDatabase({ databaseUrl: t.open.scratch.databaseUrl, dataDir: t.open.scratch.dataDir });
      let both: RetentionReport[];
      try {
        both = await Promise.all([runRetention(t.db, s.store, DAYS), runRetention(other.db, s.store, DAYS)]);
      } finally {
        await other.close();
      }
      expect(sum(both)).toEqual({ consults: 6, messages: 12, documents: 6, bytes: made.reduce((n, c) => n + c.bytes, 0), storeFailures: 0 });
      for (const c of made) expect(await held(c)).toEqual({ messages: 0, documents: 0, stored: 0 });
      const rows = await t.db.auditEvent.findMany({ where: { consultId: { in: made.map((c) => c.id) }, action: "retention.purged" } });
      expect(rows).toHaveLength(6);
      expect((await runRetention(t.db, s.store, DAYS)).consults).toBe(0);
    });
  }
});
