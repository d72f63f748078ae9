import "server-only";
// Documents as the server handles them (PROTOCOL §5): it hands out presigned URLs and keeps a row
// per upload (ids, ciphertext length, part count, status), never a name, a type or a key — those
// travel only inside the sealed `file` chat message. File bytes never pass through a route
// handler: the browser PUTs parts and GETs the object straight from the store.
//   create  → uploading (a multipart upload in the store)      uploader, admitted, consult open
//   parts   → presigned part PUT URLs (10 minutes)               uploader, while uploading
//   complete → the store joins the parts; the stored size must equal the declared ciphertext
//              size, else the object is deleted and the upload failed; then ready + `file`/`ready`
//   delete  → aborts or deletes, row gone, `file`/`deleted`      uploader, or the consult's doctor
//   download → a presigned GET URL (10 minutes)                   admitted, or the doctor at any time
// Abandoned uploads (older than a day, or of an ended consult) are aborted by sweepAbandonedUploads.
import { randomBytes } from "node:crypto";
import { encryptedSize, MIN_CHUNK_SIZE } from "@/lib/crypto/file-stream";
import { paddedFileSize } from "@/lib/crypto/file-padding";
import { FILE_PART, type createFileBody, type FileView } from "@/lib/shared/api";
import type { z } from "zod";
import type { ConsultAccess } from "./authz";
import type { Db } from "./db";
import { audit } from "./audit";
import { refuseIfHeld } from "./legal-hold";
import { ApiError } from "./errors";
import { withEvents } from "./events/log";
import { BlobError, type BlobStore, type UploadedPart } from "./storage";
import { inBackground } from "./background";
import { errField, getLog } from "./log";
import { isUniqueViolation } from "./db/errors";

export const PART_URL_TTL_S = 10 * 60;
export const GET_URL_TTL_S = 10 * 60;
/** An upload not completed within this time is abandoned: aborted and forgotten. */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** Uploads one participant may have under way at once. */
export const MAX_OPEN_UPLOADS = 4;

type FileRow = {
  id: string;
  consultId: string;
  uploaderParticipantId: string;
  status: FileView["status"];
  sizeBytes: bigint;
  partCount: number;
  storageKey: string;
  uploadId: string | null;
  createdAt: Date;
  completedAt: Date | null;
};

export function fileViewOf(f: FileRow): FileView {
  return {
    id: f.id,
    uploaderParticipantId: f.uploaderParticipantId,
    status: f.status,
    size: Number(f.sizeBytes),
    partCount: f.partCount,
    createdAt: f.createdAt.toISOString(),
    completedAt: f.completedAt?.toISOString() ?? null,
  };
}

/** The largest ciphertext a file of `maxFileBytes` plaintext bytes can have (padded, smallest chunks). */
export function maxCiphertextBytes(maxFileBytes: number): number {
  return encryptedSize(paddedFileSize(maxFileBytes), MIN_CHUNK_SIZE);
}

const mib = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;

/** A store's refusal of what the caller sent (a missing part, a wrong ETag, an unknown upload) is a 409, not a 500. */
function storeRefusal(err: unknown): ApiError | undefined {
  if (BlobError.is(err)) return new ApiError(err.status === 413 ? "payload_too_large" : "conflict", `The store refused this upload: ${err.message}`);
  const name = (err as { name?: string }).name ?? "";
  if (["InvalidPart", "InvalidPartOrder", "NoSuchUpload", "EntityTooSmall", "EntityTooLarge", "MalformedXML"].includes(name)) {
    return new ApiError("conflict", `The store refused this upload (${name}): upload the parts again`);
  }
  return undefined;
}

async function fileOf(db: Db, access: { consult: { id: string } }, fileId: string): Promise<FileRow> {
  const f = await db.file.findFirst({ where: { id: fileId, consultId: access.consult.id } });
  if (!f) throw new ApiError("not_found", "No such document in this consult");
  return f;
}

function mustBeUploader(access: ConsultAccess, f: FileRow): void {
  if (f.uploaderParticipantId !== access.participant.id) throw new ApiError("forbidden", "Only the person sending this document can do this");
}

export async function createUpload(db: Db, store: BlobStore, access: ConsultAccess, body: z.infer<typeof createFileBody>, maxFileBytes: number): Promise<{ file: FileView }> {
  if (body.size > maxCiphertextBytes(maxFileBytes)) {
    throw new ApiError("payload_too_large", `This document is too large: this clinic accepts documents up to ${mib(maxFileBytes)}.`);
  }
  const partCount = Math.ceil(body.size / body.partSize);
  if (partCount > FILE_PART.maxParts) throw new ApiError("invalid_input", `A document may have at most ${FILE_PART.maxParts} parts: use larger parts`);
  const open = await db.file.count({ where: { uploaderParticipantId: access.participant.id, status: "uploading" } });
  if (open >= MAX_OPEN_UPLOADS) throw new ApiError("rate_limited", `You have ${open} uploads under way: wait for one to finish, or cancel one.`);
  if (await db.file.findUnique({ where: { id: body.fileId }, select: { id: true } })) throw new ApiError("conflict", "This file id is taken: start the upload again with a new one");

  const storageKey = `files/${randomBytes(24).toString("base64url")}`;
  const uploadId = await store.createMultipart(storageKey);
  try {
    const row = await withEvents(db, access.consult.id, async (tx, emit) => {
      const f = await tx.file.create({
        data: { id: body.fileId, consultId: access.consult.id, uploaderParticipantId: access.participant.id, sizeBytes: BigInt(body.size), partCount, storageKey, uploadId },
      });
      emit({ consultId: access.consult.id, kind: "file", type: "uploading", from: access.participant.id, payload: fileViewOf(f) });
      return f;
    });
    return { file: fileViewOf(row) };
  } catch (err) {
    await store.abortMultipart(storageKey, uploadId).catch(() => undefined);
    if (isUniqueViolation(err)) throw new ApiError("conflict", "This file id is taken: start the upload again with a new one");
    throw err;
  }
}

export async function presignParts(db: Db, store: BlobStore, access: ConsultAccess, fileId: string, parts: number[]): Promise<{ urls: { partNumber: number; url: string }[]; expiresAt: string }> {
  const f = await fileOf(db, access, fileId);
  mustBeUploader(access, f);
  if (f.status !== "uploading" || !f.uploadId) throw new ApiError("conflict", `This document is ${f.status}, not uploading`);
  const beyond = parts.find((n) => n > f.partCount);
  if (beyond !== undefined) throw new ApiError("invalid_input", `Part ${beyond} is beyond this document's ${f.partCount} parts`);
  const uploadId = f.uploadId;
  const urls = await Promise.all(parts.map(async (partNumber) => ({ partNumber, url: await store.presignPart(f.storageKey, uploadId, partNumber, PART_URL_TTL_S) })));
  return { urls, expiresAt: new Date(Date.now() + PART_URL_TTL_S * 1000).toISOString() };
}

export async function completeUpload(db: Db, store: BlobStore, access: ConsultAccess, fileId: string, parts: UploadedPart[]): Promise<{ file: FileView }> {
  const f = await fileOf(db, access, fileId);
  mustBeUploader(access, f);
  if (f.status === "ready") return { file: fileViewOf(f) }; // a retry of a completion that landed
  if (f.status !== "uploading" || !f.uploadId) throw new ApiError("conflict", `This document is ${f.status}: start the upload again`);
  const numbers = parts.map((p) => p.partNumber).sort((a, b) => a - b);
  if (numbers.length !== f.partCount || numbers.some((n, i) => n !== i + 1)) {
    throw new ApiError("invalid_input", `List each of the ${f.partCount} parts exactly once`);
  }
  try {
    await store.completeMultipart(f.storageKey, f.uploadId, parts);
  } catch (err) {
    throw storeRefusal(err) ?? err;
  }
  const stored = await store.size(f.storageKey);
  if (stored !== Number(f.sizeBytes)) {
    // Parts of the wrong length: the object is not what the sender announced. Nothing is kept.
    await store.delete(f.storageKey);
    await withEvents(db, access.consult.id, async (tx, emit) => {
      await tx.file.update({ where: { id: f.id }, data: { status: "failed", uploadId: null } });
      emit({ consultId: access.consult.id, kind: "file", type: "failed", from: access.participant.id, payload: { id: f.id } });
    });
    throw new ApiError("conflict", `The store holds ${stored ?? 0} bytes where ${Number(f.sizeBytes)} were announced: the upload failed, send the document again`);
  }
  const ready = await withEvents(db, access.consult.id, async (tx, emit) => {
    const done = await tx.file.updateMany({ where: { id: f.id, status: "uploading" }, data: { status: "ready", uploadId: null, completedAt: new Date() } });
    const row = await tx.file.findUniqueOrThrow({ where: { id: f.id } });
    if (done.count === 1) {
      emit({ consultId: access.consult.id, kind: "file", type: "ready", from: access.participant.id, payload: fileViewOf(row) });
      await audit({ action: "file.uploaded", actorUserId: access.user.id, consultId: access.consult.id, detail: { fileId: f.id, bytes: Number(f.sizeBytes) } }, tx);
    }
    return row;
  });
  if (ready.status !== "ready") throw new ApiError("conflict", `This document is ${ready.status}`);
  return { file: fileViewOf(ready) };
}

/** Removes one document's bytes from the store: the unfinished upload, or the object. */
export async function dropFromStore(store: BlobStore, f: Pick<FileRow, "storageKey" | "uploadId">): Promise<void> {
  if (f.uploadId)
    await store.abortMultipart(f.storageKey, f.uploadId).catch((err: unknown) => {
      if (!storeRefusal(err)) throw err; // already gone
    });
  await store.delete(f.storageKey);
}

/** The sender cancels (or removes) their document; the consult's doctor may remove any. */
export async function deleteFile(db: Db, store: BlobStore, access: ConsultAccess, fileId: string): Promise<void> {
  const f = await fileOf(db, access, fileId);
  if (!access.isOwner) mustBeUploader(access, f);
  if (f.status === "ready") await refuseIfHeld(db, access.consult.id); // an upload still under way may be cancelled
  await dropFromStore(store, f);
  await withEvents(db, access.consult.id, async (tx, emit) => {
    await tx.file.deleteMany({ where: { id: f.id } });
    emit({ consultId: access.consult.id, kind: "file", type: "deleted", from: access.participant.id, payload: { id: f.id } });
    if (f.status === "ready") await audit({ action: "file.deleted", actorUserId: access.user.id, consultId: access.consult.id, detail: { fileId: f.id } }, tx);
  });
}

/** Every document of the consult, bytes and rows (the doctor deleting the consult's content). */
export async function deleteConsultFiles(db: Db, store: BlobStore, consultId: string): Promise<number> {
  const files = await db.file.findMany({ where: { consultId } });
  for (const f of files) await dropFromStore(store, f);
  const { count } = await db.file.deleteMany({ where: { consultId } });
  return count;
}

export async function listFiles(db: Db, access: { consult: { id: string } }): Promise<FileView[]> {
  const rows = await db.file.findMany({ where: { consultId: access.consult.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return rows.map(fileViewOf);
}

export async function downloadUrl(db: Db, store: BlobStore, access: { consult: { id: string } }, fileId: string): Promise<{ file: FileView; url: string; expiresAt: string }> {
  const f = await fileOf(db, access, fileId);
  if (f.status !== "ready") throw new ApiError("conflict", f.status === "uploading" ? "This document is still uploading" : `This document is ${f.status}`);
  return { file: fileViewOf(f), url: await store.presignGet(f.storageKey, GET_URL_TTL_S), expiresAt: new Date(Date.now() + GET_URL_TTL_S * 1000).toISOString() };
}

/** A participant's (or the doctor's, for the record) link to a document's ciphertext: audited, with the document's id and size. */
export async function issueDownloadLink(db: Db, store: BlobStore, access: ConsultAccess, fileId: string) {
  const r = await downloadUrl(db, store, access, fileId);
  await audit({ action: "file.link_issued", actorUserId: access.user.id, consultId: access.consult.id, detail: { fileId, size: r.file.size } }, db);
  return r;
}

/**
 * Aborts uploads that will never finish: older than UPLOAD_TTL_MS, or of a consult that has
 * ended (only `consultId`'s, when given). Their parts leave the store and their rows the
 * database. Returns how many.
 */
export async function sweepAbandonedUploads(db: Db, store: BlobStore, o: { now?: Date; ttlMs?: number; consultId?: string } = {}): Promise<number> {
  const cutoff = new Date((o.now ?? new Date()).getTime() - (o.ttlMs ?? UPLOAD_TTL_MS));
  const stale = await db.file.findMany({
    where: {
      status: "uploading",
      ...(o.consultId ? { consultId: o.consultId } : {}),
      OR: [{ createdAt: { lt: cutoff } }, { consult: { status: { in: ["ended", "cancelled"] } } }],
    },
    take: 100,
  });
  let swept = 0;
  for (const f of stale) {
    try {
      await dropFromStore(store, f);
      await withEvents(db, f.consultId, async (tx, emit) => {
        const { count } = await tx.file.deleteMany({ where: { id: f.id, status: "uploading" } });
        if (count) emit({ consultId: f.consultId, kind: "file", type: "deleted", payload: { id: f.id } });
      });
      swept++;
    } catch (err) {
      getLog().warn({ file: f.id, err: errField(err) }, "could not abort an abandoned upload");
    }
  }
  return swept;
}

const g = globalThis as { __parleyLastSweep?: number };
/** Runs the sweep in the background at most every 10 minutes per process (called on upload activity and consult end). */
export function sweepSoon(db: Db, store: BlobStore): void {
  const now = Date.now();
  if (g.__parleyLastSweep && now - g.__parleyLastSweep < 10 * 60 * 1000) return;
  g.__parleyLastSweep = now;
  inBackground("the upload sweep", () => sweepAbandonedUploads(db, store));
}

/** Starts an upload (createUpload) and, at most every 10 minutes, sweeps abandoned ones after the answer. */
export async function startUpload(db: Db, store: BlobStore, access: ConsultAccess, body: Parameters<typeof createUpload>[3], maxFileBytes: number): Promise<Awaited<ReturnType<typeof createUpload>>> {
  const answer = await createUpload(db, store, access, body, maxFileBytes);
  sweepSoon(db, store);
  return answer;
}
