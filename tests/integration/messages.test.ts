// Stored chat messages (lib/server/messages.ts) on both databases: ciphertext kept as sent,
// idempotent retries, refused reuse of an id or a seq, only the caller's own devices, the stored
// message on the log in the same transaction, receipts, and the owner's deletion.
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";

import { loadConsultAccess, type ConsultAccess } from "@/lib/server/authz";
import { createConsult, admit } from "@/lib/server/consults";
import { registerDevice } from "@/lib/server/devices";
import { headSeq, readEvents } from "@/lib/server/events/log";
import { getNotifier } from "@/lib/server/events/notifier";
import type { StreamEvent } from "@/lib/shared/api";
import pg from "pg";
import { redeemInvite } from "@/lib/server/guests";
import { deleteMessages, listMessages, postMessage, postReceipt } from "@/lib/server/messages";

import { apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, tokenFromUrl, type Staff } from "../support/db";

setupTestEnv();

const identityKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }).toString("base64url");
const body = (senderDeviceId: string, seq: number, size = 256) => ({
  id: randomUUID(),
  senderDeviceId,
  seq,
  keyId: randomBytes(16).toString("base64url"),
  iv: randomBytes(12).toString("base64url"),
  ciphertext: randomBytes(size + 16).toString("base64url"),
});

const code = apiErrorCode;

describeBackends("messages", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;
  let access: ConsultAccess;
  let deviceId: string;
  let doctorKey: string;
  let patientAccess: ConsultAccess;

  beforeAll(async () => {
    doctor = await createStaff(t.db);
    const { id, url } = await createConsult(t.db, doctor, ORIGIN);
    const a = await loadConsultAccess(t.db, doctor.id, id);
    if (!a) throw new Error("no access");
    access = a;
    doctorKey = identityKey();
    deviceId = (await registerDevice(t.db, doctor, doctorKey)).deviceId;
    const guest = await redeemInvite(t.db, tokenFromUrl(url), undefined);
    await admit(t.db, access, guest.participantId);
    const p = await loadConsultAccess(t.db, guest.userId, id);
    if (!p) throw new Error("no patient access");
    patientAccess = p;
  });

  it("stores exactly the bytes sent, lists them, and notices the log in the same transaction", async () => {
    const b = body(deviceId, 0);
    const { message, created } = await postMessage(t.db, access, b);
    expect(created).toBe(true);
    expect(message).toMatchObject({ id: b.id, seq: 0, keyId: b.keyId, iv: b.iv, ciphertext: b.ciphertext, senderUserId: doctor.id, senderIdentityKey: doctorKey });
    const listed = await listMessages(t.db, patientAccess);
    expect(listed.find((m) => m.id === b.id)).toEqual(message);
    const events = await readEvents(t.db, access.consult.id, { participantId: patientAccess.participant.id, admitted: true }, 0);
    expect(events.filter((e) => e.kind === "message")).toEqual([expect.objectContaining({ type: "new", payload: message })]);
  });

  it("wakes this process's streams with the event row exactly as the log holds it", async () => {
    const woken: (readonly StreamEvent[] | undefined)[] = [];
    const off = getNotifier().subscribe(access.consult.id, (events) => woken.push(events));
    try {
      const before = await headSeq(t.db, access.consult.id);
      const b = body(deviceId, 100);
      await postMessage(t.db, access, b);
      const logged = await readEvents(t.db, access.consult.id, { participantId: patientAccess.participant.id, admitted: true }, before);
      expect(logged).toHaveLength(1);
      expect(woken).toEqual([logged]);
      expect(logged[0]).toMatchObject({ seq: before + 1, kind: "message", type: "new", from: access.participant.id, to: null });
    } finally {
      off();
    }
  });

  it("refuses a device revoked after it was used, using no seq and writing nothing", async () => {
    const key = identityKey();
    const second = (await registerDevice(t.db, doctor, key)).deviceId;
    await postMessage(t.db, access, body(second, 0));
    await t.db.device.update({ where: { id: second }, data: { revokedAt: new Date() } });
    const seq = await headSeq(t.db, access.consult.id);
    const messages = await t.db.message.count();
    expect(await code(postMessage(t.db, access, body(second, 1)))).toBe("forbidden");
    expect(await headSeq(t.db, access.consult.id)).toBe(seq);
    expect(await t.db.message.count()).toBe(messages);
  });

  if (kind === "postgres") {
    it("tells other instances through NOTIFY, tagged with this instance so it ignores its own", async () => {
      const url = t.open.databaseUrl;
      if (!url) throw new Error("no database URL");
      getNotifier().useDatabase(url, false);
      const listener = new pg.Client({ connectionString: url });
      await listener.connect();
      try {
        await listener.query("LISTEN parley_events");
        const heard = new Promise<string | undefined>((resolve) => listener.once("notification", (n: pg.Notification) => resolve(n.payload)));
        await postMessage(t.db, access, body(deviceId, 200));
        expect(await heard).toBe(`${getNotifier().instance}:${access.consult.id}`);
      } finally {
        await listener.end();
      }
    });
  }

  it("a retry with the same id and bytes is answered as the first time, with no second notice", async () => {
    const b = body(deviceId, 1);
    await postMessage(t.db, access, b);
    const before = await t.db.event.count({ where: { consultId: access.consult.id, kind: "message" } });
    const again = await postMessage(t.db, access, b);
    expect(again.created).toBe(false);
    expect(again.message.ciphertext).toBe(b.ciphertext);
    expect(await t.db.event.count({ where: { consultId: access.consult.id, kind: "message" } })).toBe(before);
  });

  it("refuses another message under a used id, a used seq of the device, and a device that is not the caller's", async () => {
    const b = body(deviceId, 2);
    await postMessage(t.db, access, b);
    expect(await code(postMessage(t.db, access, { ...body(deviceId, 3), id: b.id }))).toBe("conflict");
    expect(await code(postMessage(t.db, access, body(deviceId, 2)))).toBe("conflict");
    expect(await code(postMessage(t.db, patientAccess, body(deviceId, 0)))).toBe("forbidden");
  });

  it("refuses a ciphertext that is not a padded size, writing nothing", async () => {
    const before = await t.db.message.count();
    expect(await code(postMessage(t.db, access, body(deviceId, 9, 300)))).toBe("invalid_input");
    expect(await t.db.message.count()).toBe(before);
    await expect(postMessage(t.db, access, body(deviceId, 10, 16384))).resolves.toMatchObject({ created: true });
  });

  it("relays a receipt to the consult as an event from the reader", async () => {
    await postReceipt(t.db, patientAccess, { senderDeviceId: deviceId, seq: 1, state: "read" });
    const events = await readEvents(t.db, access.consult.id, { participantId: access.participant.id, admitted: true }, 0);
    expect(events.filter((e) => e.type === "receipt")).toEqual([
      expect.objectContaining({ kind: "message", from: patientAccess.participant.id, payload: { senderDeviceId: deviceId, seq: 1, state: "read" } }),
    ]);
  });

  it("the owner deletes every stored message and the events that carried them, audited", async () => {
    expect(await t.db.message.count({ where: { consultId: access.consult.id } })).toBeGreaterThan(0);
    const deleted = await deleteMessages(t.db, access);
    expect(deleted).toBeGreaterThan(0);
    expect(await t.db.message.count({ where: { consultId: access.consult.id } })).toBe(0);
    expect(await t.db.event.count({ where: { consultId: access.consult.id, kind: "message", type: "new" } })).toBe(0);
    expect(await listMessages(t.db, patientAccess)).toEqual([]);
    const entry = await t.db.auditEvent.findFirst({ where: { consultId: access.consult.id, action: "messages.deleted" } });
    expect(entry).toMatchObject({ actorUserId: doctor.id, detail: { count: deleted } });
    const events = await readEvents(t.db, access.consult.id, { participantId: patientAccess.participant.id, admitted: true }, 0);
    expect(events.at(-1)).toMatchObject({ kind: "message", type: "deleted", payload: { count: deleted } });
  });
});
