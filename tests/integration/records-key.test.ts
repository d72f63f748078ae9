// The clinic's records key as the server keeps it (PROTOCOL §7.4; lib/server/records-key.ts, the
// `records` recipient of lib/server/key-copies.ts) on both databases, as an admin, a doctor or an
// attacker would notice it: there is none until an admin registers the public half of a P-256 key
// made in their browser (once: a second is refused, audited when made; RECORDS_KEY=off keeps none);
// the consult's doctor seals copies to the current key and to nothing else; admins alone list the
// consults (metadata, never content), open a record (its records copies, sealed messages and
// documents, audited every time) and fetch its documents (audited).
//
// The records key is one per database, so the tests below build on each other in order: none at
// first, refusals while there is none, the key made, then everything that needs it.
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";

import { signBoxKey, toBase64Url } from "@/lib/crypto";
import type { ConsultAccess, SessionUser } from "@/lib/server/authz";
import { createSession } from "@/lib/server/auth/sessions";
import { admit, createConsult } from "@/lib/server/consults";
import { registerDevice, setBoxKey } from "@/lib/server/devices";
import { completeUpload, createUpload, presignParts } from "@/lib/server/files";
import { redeemInvite } from "@/lib/server/guests";
import { setBackup } from "@/lib/server/key-backup";
import { addKeyCopies } from "@/lib/server/key-copies";
import { postMessage } from "@/lib/server/messages";
import { createRecordsKey, currentRecordsKey, readRecord, recordFileUrl, recordList } from "@/lib/server/records-key";

import { fsStoreHarness, s3StoreHarness, type StoreHarness } from "../support/blob-stores";
import { accessOf, apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl, type Staff } from "../support/db";
import { keyCopy } from "../support/key-copies";

setupTestEnv();

const MiB = 1024 * 1024;
const b64 = (n: number) => randomBytes(n).toString("base64url");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64url");
const spkiDer = (namedCurve: "P-256" | "P-384" = "P-256") => generateKeyPairSync("ec", { namedCurve }).publicKey.export({ type: "spki", format: "der" });
/** Any string where a value cannot be known ahead (ids, times), typed for the object it sits in. */
const anyString = () => expect.any(String) as string;
const copy = keyCopy;
/** A chat message as a device sends it: a padded, sealed 256-byte plaintext. */
const message = (senderDeviceId: string, seq: number) => ({ id: randomUUID(), senderDeviceId, seq, keyId: b64(16), iv: b64(12), ciphertext: b64(256 + 16) });

/** Runs `fn` with RECORDS_KEY set to `value`, re-reading the settings before and after. */
async function withRecordsKeySetting<T>(value: "on" | "off", fn: () => Promise<T>): Promise<T> {
  const g = globalThis as { __parleyEnv?: unknown };
  const before = process.env.RECORDS_KEY;
  process.env.RECORDS_KEY = value;
  delete g.__parleyEnv;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.RECORDS_KEY;
    else process.env.RECORDS_KEY = before;
    delete g.__parleyEnv;
  }
}

/** One consult as the tests use it: its doctor (with a device that has a box key), its admitted patient. */
type Fixture = { id: string; doctor: ConsultAccess; patient: ConsultAccess; patientUser: SessionUser; deviceId: string; sealedName: string };

describeBackends("the records key", (kind) => {
  const t = setupDatabase(kind);
  let s: StoreHarness;
  let admin: SessionUser;
  let otherAdmin: SessionUser;
  let doctorStaff: Staff;
  let doctor: SessionUser;
  let a: Fixture;
  let b: Fixture;

  /** `who` as a request sees them, signed in. */
  async function signedIn(who: Staff): Promise<SessionUser> {
    const sessionId = await createSession(t.db, { userId: who.id, method: "passkey" });
    return { id: who.id, name: who.name, email: who.email, role: who.role, sessionId, stage: "full" };
  }

  /** A device of `me` as a browser makes it: an ECDSA identity and an ECDH box key it signed. */
  async function boxedDevice(me: SessionUser): Promise<string> {
    const identity = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const { deviceId } = await registerDevice(t.db, me, toBase64Url(new Uint8Array(await crypto.subtle.exportKey("spki", identity.publicKey))));
    const box = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
    const boxSpki = new Uint8Array(await crypto.subtle.exportKey("spki", box.publicKey));
    await setBoxKey(t.db, me, deviceId, toBase64Url(boxSpki), toBase64Url(await signBoxKey(identity.privateKey, me.id, deviceId, boxSpki)));
    return deviceId;
  }

  async function consult(deviceId: string): Promise<Fixture> {
    const sealedName = b64(120);
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    const doctorAccess = await accessOf(t.db, doctor.id, id);
    const guest = await redeemInvite(t.db, tokenFromUrl(url), sealedName);
    await admit(t.db, doctorAccess, guest.participantId);
    const patientUser: SessionUser = { id: guest.userId, name: guest.name, email: null, role: "patient" };
    return { id, doctor: await accessOf(t.db, doctor.id, id), patient: await accessOf(t.db, guest.userId, id), patientUser, deviceId, sealedName };
  }

  /** A finished document uploaded by the patient, the way the browser does; its id and bytes. */
  async function upload(f: Fixture, size = 1000): Promise<{ fileId: string; bytes: Uint8Array }> {
    const fileId = randomUUID();
    const bytes = Uint8Array.from(randomBytes(size));
    await createUpload(t.db, s.store, f.patient, { fileId, size, partSize: 5 * MiB }, 2 * 1024 * MiB);
    const { urls } = await presignParts(t.db, s.store, f.patient, fileId, [1]);
    const res = await s.fetch(urls[0]?.url ?? "", { method: "PUT", body: bytes });
    expect(res.status).toBe(200);
    await completeUpload(t.db, s.store, f.patient, fileId, [{ partNumber: 1, etag: res.headers.get("etag") ?? "" }]);
    return { fileId, bytes };
  }

  const keysCreated = () => t.db.auditEvent.count({ where: { action: "records_key.created" } });

  beforeAll(async () => {
    s = (kind === "postgres" ? await s3StoreHarness("records") : undefined) ?? (await fsStoreHarness());
    admin = await signedIn(await createStaff(t.db, "admin"));
    otherAdmin = await signedIn(await createStaff(t.db, "admin"));
    doctorStaff = await createStaff(t.db);
    doctor = await signedIn(doctorStaff);
    await setBackup(t.db, doctor, { publicKey: spkiDer().toString("base64url"), params: { memoryKiB: 19456, iterations: 2, parallelism: 1 }, salt: b64(16), iv: b64(12), wrapped: b64(154) });
    const deviceId = await boxedDevice(doctor);
    a = await consult(deviceId);
    b = await consult(deviceId);
  });
  afterAll(async () => {
    await s?.close();
  });

  it("there is none at first, and a records copy is refused while there is none, with nothing written", async () => {
    expect(await currentRecordsKey(t.db)).toBeNull();
    expect(await apiErrorCode(addKeyCopies(t.db, a.doctor, a.deviceId, [copy("records", randomUUID())]))).toBe("invalid_input");
    // A good copy next to it does not get through either: all or nothing.
    expect(await apiErrorCode(addKeyCopies(t.db, a.doctor, a.deviceId, [copy("device", a.deviceId), copy("records", randomUUID(), "name")]))).toBe("invalid_input");
    expect(await t.db.keyCopy.count({ where: { consultId: a.id } })).toBe(0);
  });

  it("only an admin makes it, only of a P-256 public key, and not with RECORDS_KEY=off; refusals change nothing", async () => {
    const good = spkiDer().toString("base64url");
    expect(await apiErrorCode(createRecordsKey(t.db, doctor, good))).toBe("forbidden");
    expect(await apiErrorCode(createRecordsKey(t.db, a.patientUser, good))).toBe("forbidden");

    const p384 = spkiDer("P-384");
    expect(p384.length).not.toBe(91);
    expect(await apiErrorCode(createRecordsKey(t.db, admin, p384.toString("base64url")))).toBe("invalid_input");
    expect(await apiErrorCode(createRecordsKey(t.db, admin, b64(91)))).toBe("invalid_input");
    // The right length and prefix, but a point that is not on the curve.
    const offCurve = Buffer.from(spkiDer());
    offCurve[90] = (offCurve[90] ?? 0) ^ 1;
    expect(await apiErrorCode(createRecordsKey(t.db, admin, offCurve.toString("base64url")))).toBe("invalid_input");

    await withRecordsKeySetting("off", async () => {
      expect(await apiErrorCode(createRecordsKey(t.db, admin, good))).toBe("conflict");
    });

    expect(await t.db.recordsKey.count()).toBe(0);
    expect(await keysCreated()).toBe(0);
    expect(await currentRecordsKey(t.db)).toBeNull();
  });

  it("an admin makes it: it is current, its fingerprint is SHA-256 of the SPKI, the making is audited; a second is refused", async () => {
    const der = spkiDer();
    const made = await createRecordsKey(t.db, admin, der.toString("base64url"), "203.0.113.7");
    expect(made).toEqual({ id: anyString(), publicKey: der.toString("base64url"), fingerprint: sha256(der), createdAt: anyString() });
    expect(await currentRecordsKey(t.db)).toEqual(made);

    const audits = await t.db.auditEvent.findMany({ where: { action: "records_key.created" } });
    expect(audits).toEqual([expect.objectContaining({ actorUserId: admin.id, ip: "203.0.113.7", detail: { recordsKeyId: made.id, fingerprint: made.fingerprint } })]);

    // A second key, by the same admin or another, even the same key again: refused, nothing changes.
    expect(await apiErrorCode(createRecordsKey(t.db, admin, spkiDer().toString("base64url")))).toBe("conflict");
    expect(await apiErrorCode(createRecordsKey(t.db, otherAdmin, spkiDer().toString("base64url")))).toBe("conflict");
    expect(await apiErrorCode(createRecordsKey(t.db, admin, der.toString("base64url")))).toBe("conflict");
    // A doctor is still told no, not that there is one already.
    expect(await apiErrorCode(createRecordsKey(t.db, doctor, spkiDer().toString("base64url")))).toBe("forbidden");
    expect(await t.db.recordsKey.count()).toBe(1);
    expect(await keysCreated()).toBe(1);
    expect(await currentRecordsKey(t.db)).toEqual(made);
  });

  it("with RECORDS_KEY=off the clinic has no current records key, takes no copies to it and makes none", async () => {
    const key = await currentRecordsKey(t.db);
    if (!key) throw new Error("no records key");
    await withRecordsKeySetting("off", async () => {
      expect(await currentRecordsKey(t.db)).toBeNull();
      expect(await apiErrorCode(createRecordsKey(t.db, admin, spkiDer().toString("base64url")))).toBe("conflict");
      expect(await apiErrorCode(addKeyCopies(t.db, a.doctor, a.deviceId, [copy("records", key.id)]))).toBe("invalid_input");
    });
    expect(await t.db.keyCopy.count({ where: { consultId: a.id } })).toBe(0);
    expect(await t.db.recordsKey.count()).toBe(1);
    expect(await currentRecordsKey(t.db)).toEqual(key);
  });

  it("the doctor's device seals consult, name and pins copies to the current key; to any other id they are refused", async () => {
    const key = await currentRecordsKey(t.db);
    if (!key) throw new Error("no records key");
    // Not to a made-up key, not to a device's, a person's or the other consult's ids.
    for (const wrong of [randomUUID(), a.deviceId, doctor.id, admin.id, b.id]) {
      expect(await apiErrorCode(addKeyCopies(t.db, a.doctor, a.deviceId, [copy("records", wrong)]))).toBe("invalid_input");
    }
    expect(await apiErrorCode(addKeyCopies(t.db, a.doctor, a.deviceId, [copy("records", key.id), copy("records", randomUUID(), "pins")]))).toBe("invalid_input");
    expect(await t.db.keyCopy.count({ where: { consultId: a.id } })).toBe(0);

    const records = [copy("records", key.id), copy("records", key.id, "name"), copy("records", key.id, "pins")];
    expect(await addKeyCopies(t.db, a.doctor, a.deviceId, records)).toEqual({ added: 3 });
    expect(await addKeyCopies(t.db, a.doctor, a.deviceId, records)).toEqual({ added: 0 }); // a retry stores nothing new
    const stored = await t.db.keyCopy.findMany({ where: { consultId: a.id, recipient: "records" } });
    expect(stored.map((r) => ({ kind: r.kind, recipientId: r.recipientId, box: r.box.length })).sort((x, y) => x.kind.localeCompare(y.kind))).toEqual([
      { kind: "consult", recipientId: key.id, box: 183 },
      { kind: "name", recipientId: key.id, box: 269 },
      { kind: "pins", recipientId: key.id, box: 869 },
    ]);
    const copied = await t.db.auditEvent.findMany({ where: { consultId: a.id, action: "keys.copied" } });
    expect(copied).toEqual([expect.objectContaining({ actorUserId: doctor.id, detail: { count: 3, to: ["records"], fromDeviceId: a.deviceId } })]);
  });

  it("recordList is for admins only and shows each consult's doctor and counts, never content", async () => {
    expect(await apiErrorCode(recordList(t.db, doctor))).toBe("forbidden");
    expect(await apiErrorCode(recordList(t.db, a.patientUser))).toBe("forbidden");

    const sent = [message(a.deviceId, 0), message(a.deviceId, 1)];
    for (const m of sent) await postMessage(t.db, a.doctor, m);
    await upload(a);
    await upload(b);

    const list = await recordList(t.db, admin);
    const rowA = list.find((c) => c.id === a.id);
    const rowB = list.find((c) => c.id === b.id);
    // Admitting the patient started the consult.
    expect(rowA).toEqual({
      id: a.id,
      status: "open",
      doctor: doctorStaff.name,
      scheduledAt: anyString(),
      startedAt: anyString(),
      endedAt: null,
      messages: 2,
      documents: 1,
      hold: null,
      purgedAt: null,
    });
    expect(rowB).toMatchObject({ id: b.id, doctor: doctorStaff.name, messages: 0, documents: 1 });
    for (const row of list) expect(Object.keys(row).sort()).toEqual(["doctor", "documents", "endedAt", "hold", "id", "messages", "purgedAt", "scheduledAt", "startedAt", "status"]);
    const text = JSON.stringify(list);
    for (const secret of [a.sealedName, b.sealedName, ...sent.map((m) => m.ciphertext)]) expect(text).not.toContain(secret);
  });

  it("readRecord is for admins only, even against the consult's own doctor; an unknown consult is not found", async () => {
    const opened = () => t.db.auditEvent.count({ where: { action: "records.opened" } });
    expect(await apiErrorCode(readRecord(t.db, doctor, a.id))).toBe("forbidden");
    expect(await apiErrorCode(readRecord(t.db, a.patientUser, a.id))).toBe("forbidden");
    expect(await apiErrorCode(readRecord(t.db, admin, randomUUID()))).toBe("not_found");
    expect(await opened()).toBe(0);
  });

  it("readRecord gives the consult's records copies (no others), its sealed messages and documents, and audits each opening", async () => {
    const key = await currentRecordsKey(t.db);
    if (!key) throw new Error("no records key");
    // Copies that must not show: the doctor's device and backup copies of this consult, and the records copy of another.
    expect(await addKeyCopies(t.db, a.doctor, a.deviceId, [copy("device", a.deviceId), copy("backup", doctor.id)])).toEqual({ added: 2 });
    const other = copy("records", key.id);
    expect(await addKeyCopies(t.db, b.doctor, b.deviceId, [other])).toEqual({ added: 1 });

    const record = await readRecord(t.db, admin, a.id, "198.51.100.4");
    expect(record.consult).toEqual({ id: a.id, status: "open", doctor: doctorStaff.name, scheduledAt: anyString(), endedAt: null });
    const stored = await t.db.keyCopy.findMany({ where: { consultId: a.id, recipient: "records" }, orderBy: { id: "asc" } });
    expect(record.copies).toEqual(
      stored.map((r) => ({ id: r.id, consultId: a.id, recipient: "records", recipientId: key.id, kind: r.kind, epoch: 0, keyId: toBase64Url(r.keyId), box: toBase64Url(r.box) })),
    );
    expect(record.copies.map((c) => c.kind).sort()).toEqual(["consult", "name", "pins"]);
    expect(record.copies.some((c) => c.keyId === other.keyId)).toBe(false);
    expect(record.messages.map((m) => [m.seq, m.senderUserId, m.ciphertext.length > 0])).toEqual([
      [0, doctor.id, true],
      [1, doctor.id, true],
    ]);
    const messageRows = await t.db.message.findMany({ where: { consultId: a.id } });
    expect(record.messages.map((m) => m.id).sort()).toEqual(messageRows.map((m) => m.id).sort());
    expect(record.files).toEqual([expect.objectContaining({ status: "ready", size: 1000, uploaderParticipantId: a.patient.participant.id })]);
    expect(JSON.stringify(record)).not.toContain(a.sealedName);

    await readRecord(t.db, admin, a.id);
    await readRecord(t.db, otherAdmin, b.id);
    const audits = await t.db.auditEvent.findMany({ where: { action: "records.opened" }, orderBy: { id: "asc" } });
    expect(audits).toHaveLength(3);
    const detail = { copies: 3, messages: 2, documents: 1 };
    expect(audits.filter((e) => e.consultId === a.id)).toEqual([
      expect.objectContaining({ actorUserId: admin.id, consultId: a.id, ip: "198.51.100.4", detail }),
      expect.objectContaining({ actorUserId: admin.id, consultId: a.id, ip: null, detail }),
    ]);
    expect(audits.filter((e) => e.consultId === b.id)).toEqual([expect.objectContaining({ actorUserId: otherAdmin.id, detail: { copies: 1, messages: 0, documents: 1 } })]);
  });

  it("recordFileUrl hands an admin a working link to the consult's document, audited; others and other consults' files are refused", async () => {
    const fetched = () => t.db.auditEvent.findMany({ where: { action: "records.document_fetched" }, orderBy: { id: "asc" } });
    const mine = await upload(a, 2000);
    const theirs = (await t.db.file.findFirstOrThrow({ where: { consultId: b.id } })).id;

    expect(await apiErrorCode(recordFileUrl(t.db, s.store, doctor, a.id, mine.fileId))).toBe("forbidden");
    expect(await apiErrorCode(recordFileUrl(t.db, s.store, a.patientUser, a.id, mine.fileId))).toBe("forbidden");
    // Another consult's document asked for under this consult's id; an unknown one; this one under an unknown consult.
    expect(await apiErrorCode(recordFileUrl(t.db, s.store, admin, a.id, theirs))).toBe("not_found");
    expect(await apiErrorCode(recordFileUrl(t.db, s.store, admin, a.id, randomUUID()))).toBe("not_found");
    expect(await apiErrorCode(recordFileUrl(t.db, s.store, admin, randomUUID(), mine.fileId))).toBe("not_found");
    expect(await fetched()).toEqual([]);

    const got = await recordFileUrl(t.db, s.store, admin, a.id, mine.fileId, "198.51.100.5");
    expect(got.file).toMatchObject({ id: mine.fileId, status: "ready", size: 2000 });
    const body = new Uint8Array(await (await s.fetch(got.url)).arrayBuffer());
    expect(sha256(body)).toBe(sha256(mine.bytes));
    expect(await fetched()).toEqual([expect.objectContaining({ actorUserId: admin.id, consultId: a.id, ip: "198.51.100.5", detail: { fileId: mine.fileId } })]);
  });

  it("a retired key takes no more copies; then one new key may be made, even by two admins at once", async () => {
    const old = await currentRecordsKey(t.db);
    if (!old) throw new Error("no records key");
    await t.db.recordsKey.update({ where: { id: old.id }, data: { retiredAt: new Date() } });
    expect(await currentRecordsKey(t.db)).toBeNull();
    expect(await apiErrorCode(addKeyCopies(t.db, b.doctor, b.deviceId, [copy("records", old.id)]))).toBe("invalid_input");

    const results = await Promise.allSettled([createRecordsKey(t.db, admin, spkiDer().toString("base64url")), createRecordsKey(t.db, otherAdmin, spkiDer().toString("base64url"))]);
    const made = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(made).toHaveLength(1);
    expect(refused).toEqual([expect.objectContaining({ code: "conflict" })]);
    expect(await currentRecordsKey(t.db)).toEqual(made[0]);
    expect(await t.db.recordsKey.count({ where: { retiredAt: null } })).toBe(1);
    expect(await keysCreated()).toBe(2);

    const next = made[0];
    if (!next) throw new Error("no new records key");
    expect(await addKeyCopies(t.db, b.doctor, b.deviceId, [copy("records", next.id)])).toEqual({ added: 1 });
    // Copies sealed to the retired key stay readable.
    expect((await readRecord(t.db, admin, a.id)).copies.map((c) => c.recipientId)).toEqual([old.id, old.id, old.id]);
  });
});
