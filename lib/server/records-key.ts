import "server-only";
// The clinic's records key (PROTOCOL §7.4) as the server keeps it: only the public half, which an
// admin made in the browser (the private half is on the printed recovery sheet and nowhere else).
// Devices seal every consult key to it; an admin who types the sheet's words reads a consult's
// record in the browser, and each record opened, and each document fetched, is audited.
import { fingerprint, fromBase64Url, importEcdhSpki, toBase64Url } from "@/lib/crypto";
import { copyKind, type StoredKeyCopy } from "@/lib/shared/keys";
import type { SessionUser } from "./authz";
import type { Db } from "./db";
import type { Tx } from "./events/log";
import { ApiError } from "./errors";
import { audit } from "./audit";
import { CONSULT_ROW, consultRowOf } from "./consult-list";
import { getServerEnv } from "./env";
import { listMessages } from "./messages";
import { downloadUrl, listFiles } from "./files";
import type { BlobStore } from "./storage";

function adminOnly(me: SessionUser): void {
  if (me.role !== "admin") throw new ApiError("forbidden", "Only a clinic admin holds the records key");
}

/** The records key devices seal to now, or null (none made yet, or RECORDS_KEY=off). */
export async function currentRecordsKey(db: Db | Tx) {
  if (!getServerEnv().recordsKey) return null;
  const k = await db.recordsKey.findFirst({ where: { retiredAt: null }, orderBy: { createdAt: "desc" } });
  return k ? { id: k.id, publicKey: toBase64Url(k.publicKey), fingerprint: toBase64Url(k.fingerprint), createdAt: k.createdAt.toISOString() } : null;
}

/** An admin registers the public half of the records key made in their browser. Once: a second is refused. */
export async function createRecordsKey(db: Db, me: SessionUser, publicKeyB64: string, ip?: string) {
  adminOnly(me);
  if (!getServerEnv().recordsKey) throw new ApiError("conflict", "This clinic keeps no records key (RECORDS_KEY=off)");
  const spki = fromBase64Url(publicKeyB64);
  try {
    await importEcdhSpki(spki);
  } catch {
    throw new ApiError("invalid_input", "publicKey is not a P-256 public key (SPKI)");
  }
  const fp = await fingerprint(spki);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7312001)`;
    if ((await tx.recordsKey.count({ where: { retiredAt: null } })) > 0) throw new ApiError("conflict", "The clinic already has a records key");
    const k = await tx.recordsKey.create({ data: { publicKey: spki, fingerprint: fp, createdById: me.id } });
    await audit({ action: "records_key.created", actorUserId: me.id, detail: { recordsKeyId: k.id, fingerprint: toBase64Url(fp) }, ip }, tx);
    return { id: k.id, publicKey: toBase64Url(k.publicKey), fingerprint: toBase64Url(k.fingerprint), createdAt: k.createdAt.toISOString() };
  });
}

/** The consults an admin may open, newest first: metadata only (never content). */
export async function recordList(db: Db, me: SessionUser) {
  adminOnly(me);
  const rows = await db.consult.findMany({ orderBy: { scheduledAt: "desc" }, take: 200, select: CONSULT_ROW });
  return rows.map(consultRowOf);
}

/**
 * One consult's record as an admin with the sheet reads it: the copies sealed to the records key,
 * the sealed messages and the documents' metadata. Audited, every time.
 */
export async function readRecord(db: Db, me: SessionUser, consultId: string, ip?: string) {
  adminOnly(me);
  const consult = await db.consult.findUnique({ where: { id: consultId }, select: { id: true, status: true, scheduledAt: true, endedAt: true, doctor: { select: { name: true } } } });
  if (!consult) throw new ApiError("not_found", "No such consult");
  const access = { consult: { id: consultId } };
  const [copies, messages, files] = await Promise.all([db.keyCopy.findMany({ where: { consultId, recipient: "records" }, orderBy: { id: "asc" } }), listMessages(db, access), listFiles(db, access)]);
  await audit({ action: "records.opened", actorUserId: me.id, consultId, detail: { copies: copies.length, messages: messages.length, documents: files.length }, ip }, db);
  return {
    consult: { id: consult.id, status: consult.status, doctor: consult.doctor.name, scheduledAt: consult.scheduledAt.toISOString(), endedAt: consult.endedAt?.toISOString() ?? null },
    copies: copies.map((r): StoredKeyCopy => ({
      id: r.id,
      consultId: r.consultId,
      recipient: "records",
      recipientId: r.recipientId,
      kind: copyKind.parse(r.kind),
      epoch: r.epoch,
      keyId: toBase64Url(r.keyId),
      box: toBase64Url(r.box),
    })),
    messages,
    files,
  };
}

/** A document's download link for an admin reading the record. Audited. */
export async function recordFileUrl(db: Db, store: BlobStore, me: SessionUser, consultId: string, fileId: string, ip?: string) {
  adminOnly(me);
  const r = await downloadUrl(db, store, { consult: { id: consultId } }, fileId);
  await audit({ action: "records.document_fetched", actorUserId: me.id, consultId, detail: { fileId }, ip }, db);
  return r;
}
