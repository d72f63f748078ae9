// Documents on the server (lib/server/files.ts) with a real database and a real store: the
// embedded database with the filesystem store, PostgreSQL with Ceph RGW (when scripts/test.sh
// started it; else the filesystem store). Parts go through the presigned URLs as a browser's would.
// Create → parts → complete (the stored size checked) → ready and announced; download URLs only
// for the consult's people; cancel, removal, abandoned uploads swept, limits refused.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConsultAccess, type ConsultAccess } from "@/lib/server/authz";
import { admit, createConsult, endConsult } from "@/lib/server/consults";
import { readEvents } from "@/lib/server/events/log";
import { completeUpload, createUpload, deleteConsultFiles, deleteFile, downloadUrl, issueDownloadLink, listFiles, MAX_OPEN_UPLOADS, presignParts, sweepAbandonedUploads } from "@/lib/server/files";
import { redeemInvite } from "@/lib/server/guests";
import { fsStoreHarness, s3StoreHarness, type StoreHarness } from "../support/blob-stores";
import { accessOf, apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl } from "../support/db";

setupTestEnv();

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const code = apiErrorCode;

describeBackends("documents", (kind) => {
  const t = setupDatabase(kind);
  let s: StoreHarness;
  let doctor: ConsultAccess;
  let patient: ConsultAccess;
  let outsider: ConsultAccess;

  beforeAll(async () => {
    s = (kind === "postgres" ? await s3StoreHarness("files") : undefined) ?? (await fsStoreHarness());
    const staff = await createStaff(t.db);
    const { id, url } = await createConsult(t.db, staff, ORIGIN);
    doctor = await accessOf(t.db, staff.id, id);
    const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined);
    await admit(t.db, doctor, guest.participantId);
    patient = await accessOf(t.db, guest.userId, id);
    // The patient of another consult of the same doctor.
    const other = await createConsult(t.db, staff, ORIGIN);
    const otherGuest = await redeemInvite(t.db, tokenFromUrl(other.url), undefined);
    await admit(t.db, await accessOf(t.db, staff.id, other.id), otherGuest.participantId);
    outsider = await accessOf(t.db, otherGuest.userId, other.id);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Uploads `parts` (ciphertext) as the patient, the way the browser does; returns the file id. */
  async function upload(parts: Uint8Array<ArrayBuffer>[], o: { complete?: boolean; size?: number } = {}) {
    const fileId = crypto.randomUUID();
    const size = o.size ?? parts.reduce((n, p) => n + p.length, 0);
    const partSize = Math.max(5 * MiB, parts[0]?.length ?? 0);
    await createUpload(t.db, s.store, patient, { fileId, size, partSize }, 2 * 1024 * MiB);
    const { urls } = await presignParts(
      t.db,
      s.store,
      patient,
      fileId,
      parts.map((_, i) => i + 1),
    );
    const done = [];
    for (const [i, body] of parts.entries()) {
      const res = await s.fetch(urls[i]?.url ?? "", { method: "PUT", body });
      expect(res.status).toBe(200);
      done.push({ partNumber: i + 1, etag: res.headers.get("etag") ?? "" });
    }
    if (o.complete !== false) await completeUpload(t.db, s.store, patient, fileId, done);
    return { fileId, done };
  }

  it("uploads in parts, checks the stored size, announces it ready, and hands out a download URL to both people", async () => {
    const parts = [Uint8Array.from(randomBytes(5 * MiB)), Uint8Array.from(randomBytes(1234))];
    const { fileId } = await upload(parts);
    const [file] = (await listFiles(t.db, doctor)).filter((f) => f.id === fileId);
    expect(file).toMatchObject({ status: "ready", size: 5 * MiB + 1234, partCount: 2, uploaderParticipantId: patient.participant.id });
    const events = await readEvents(t.db, doctor.consult.id, { participantId: doctor.participant.id, admitted: true }, 0);
    expect(events.filter((e) => e.kind === "file").map((e) => e.type)).toEqual(["uploading", "ready"]);
    for (const who of [doctor, patient]) {
      const { url } = await issueDownloadLink(t.db, s.store, who, fileId);
      const got = new Uint8Array(await (await s.fetch(url)).arrayBuffer());
      expect(sha(got)).toBe(sha(Buffer.concat(parts)));
    }
    // Each link handed out is in the audit trail: who, which document, its size.
    const links = await t.db.auditEvent.findMany({ where: { consultId: doctor.consult.id, action: "file.link_issued" }, orderBy: { id: "asc" } });
    expect(links.map((l) => [l.actorUserId, l.detail])).toEqual([
      [doctor.user.id, { fileId, size: 5 * MiB + 1234 }],
      [patient.user.id, { fileId, size: 5 * MiB + 1234 }],
    ]);
    // A retried completion is answered as the first.
    expect((await completeUpload(t.db, s.store, patient, fileId, [])).file.status).toBe("ready");
  });

  it("refuses what the server cannot allow: too large, too many parts, a stranger's parts, more open uploads than the limit", async () => {
    expect(await code(createUpload(t.db, s.store, patient, { fileId: crypto.randomUUID(), size: 3 * 1024 * MiB, partSize: 64 * MiB }, 2 * 1024 * MiB))).toBe("payload_too_large");
    expect(await code(createUpload(t.db, s.store, patient, { fileId: crypto.randomUUID(), size: 60_000 * MiB, partSize: 5 * MiB }, 100_000 * MiB))).toBe("invalid_input");
    const fileId = crypto.randomUUID();
    await createUpload(t.db, s.store, patient, { fileId, size: 100, partSize: 5 * MiB }, MiB);
    expect(await code(createUpload(t.db, s.store, patient, { fileId, size: 100, partSize: 5 * MiB }, MiB))).toBe("conflict");
    expect(await code(presignParts(t.db, s.store, doctor, fileId, [1]))).toBe("forbidden");
    expect(await code(presignParts(t.db, s.store, patient, fileId, [2]))).toBe("invalid_input");
    expect(await code(presignParts(t.db, s.store, outsider, fileId, [1]))).toBe("not_found");
    const linksBefore = await t.db.auditEvent.count({ where: { action: "file.link_issued" } });
    expect(await code(issueDownloadLink(t.db, s.store, outsider, fileId))).toBe("not_found");
    expect(await code(issueDownloadLink(t.db, s.store, doctor, fileId))).toBe("conflict"); // still uploading
    expect(await t.db.auditEvent.count({ where: { action: "file.link_issued" } })).toBe(linksBefore); // a refused link is no link
    expect(await code(completeUpload(t.db, s.store, patient, fileId, [{ partNumber: 1, etag: '"nope"' }]))).toBe("conflict");
    const open = [];
    for (let i = 1; i < MAX_OPEN_UPLOADS; i++) open.push(crypto.randomUUID());
    for (const id of open) await createUpload(t.db, s.store, patient, { fileId: id, size: 100, partSize: 5 * MiB }, MiB);
    expect(await code(createUpload(t.db, s.store, patient, { fileId: crypto.randomUUID(), size: 100, partSize: 5 * MiB }, MiB))).toBe("rate_limited");
    for (const id of [fileId, ...open]) await deleteFile(t.db, s.store, patient, id);
  });

  it("a completed upload whose stored size differs from the announcement fails, and nothing is kept", async () => {
    const parts = [Uint8Array.from(randomBytes(4000))];
    const { fileId, done } = await upload(parts, { complete: false, size: 4001 });
    expect(await code(completeUpload(t.db, s.store, patient, fileId, done))).toBe("conflict");
    const [file] = (await listFiles(t.db, doctor)).filter((f) => f.id === fileId);
    expect(file?.status).toBe("failed");
    const row = await t.db.file.findUniqueOrThrow({ where: { id: fileId } });
    expect(await s.store.size(row.storageKey)).toBeUndefined();
    await deleteFile(t.db, s.store, doctor, fileId);
  });

  it("cancel drops the parts; the doctor may remove anyone's document, the other patient no one's", async () => {
    const { fileId } = await upload([Uint8Array.from(randomBytes(100))], { complete: false });
    const row = await t.db.file.findUniqueOrThrow({ where: { id: fileId } });
    await deleteFile(t.db, s.store, patient, fileId);
    expect(await t.db.file.findUnique({ where: { id: fileId } })).toBeNull();
    // The upload is gone from the store: it can no longer be completed.
    await expect(s.store.completeMultipart(row.storageKey, row.uploadId ?? "", [{ partNumber: 1, etag: "x" }])).rejects.toBeDefined();

    const ready = await upload([Uint8Array.from(randomBytes(100))]);
    expect(await code(deleteFile(t.db, s.store, outsider, ready.fileId))).toBe("not_found");
    const key = (await t.db.file.findUniqueOrThrow({ where: { id: ready.fileId } })).storageKey;
    await deleteFile(t.db, s.store, doctor, ready.fileId);
    expect(await s.store.size(key)).toBeUndefined();
  });

  it("abandoned uploads (too old, or of an ended consult) are aborted and forgotten; finished ones stay", async () => {
    const old = await upload([Uint8Array.from(randomBytes(100))], { complete: false });
    const kept = await upload([Uint8Array.from(randomBytes(100))]);
    expect(await sweepAbandonedUploads(t.db, s.store, { now: new Date(Date.now() + 25 * 3600_000), consultId: doctor.consult.id })).toBe(1);
    expect(await t.db.file.findUnique({ where: { id: old.fileId } })).toBeNull();
    expect(await t.db.file.findUnique({ where: { id: kept.fileId } })).not.toBeNull();

    const pending = await upload([Uint8Array.from(randomBytes(100))], { complete: false });
    expect(await sweepAbandonedUploads(t.db, s.store, { consultId: doctor.consult.id })).toBe(0); // young, consult open
    await endConsult(t.db, doctor);
    expect(await sweepAbandonedUploads(t.db, s.store, { consultId: doctor.consult.id })).toBe(1);
    expect(await t.db.file.findUnique({ where: { id: pending.fileId } })).toBeNull();

    // After the consult the doctor still reads the finished document, then deletes everything.
    const doctorNow = (await loadConsultAccess(t.db, doctor.user.id, doctor.consult.id)) as ConsultAccess;
    expect((await downloadUrl(t.db, s.store, doctorNow, kept.fileId)).file.status).toBe("ready");
    const key = (await t.db.file.findUniqueOrThrow({ where: { id: kept.fileId } })).storageKey;
    expect(await deleteConsultFiles(t.db, s.store, doctor.consult.id)).toBeGreaterThanOrEqual(1);
    expect(await s.store.size(key)).toBeUndefined();
    expect(await listFiles(t.db, doctorNow)).toEqual([]);
  });
});
