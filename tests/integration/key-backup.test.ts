// The passphrase backup and the sealed key copies as the server keeps them (PROTOCOL §7,
// lib/server/key-backup.ts, lib/server/key-copies.ts), on both databases: a person sets and
// replaces their backup (audited); the wrapped key goes out only to a sign-in with a second factor,
// at most five times an hour (each is a guess at the passphrase); copies go only to the doctor's
// own devices and backup, are stored once, and read back only by their person; a device receives
// copies only once it has a box key its identity signed (PROTOCOL §7.2).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";

import type { SessionUser } from "@/lib/server/authz";
import { createSession } from "@/lib/server/auth/sessions";
import { createConsult } from "@/lib/server/consults";
import { fromBase64Url, signBoxKey, toBase64Url } from "@/lib/crypto";
import { registerDevice, setBoxKey } from "@/lib/server/devices";
import { backupInfo, setBackup, unlockBackup, UNLOCK_LIMIT } from "@/lib/server/key-backup";
import { addKeyCopies, listKeyCopies } from "@/lib/server/key-copies";
import type { KeyBackupBody, KeyCopyBody } from "@/lib/shared/keys";

import { accessOf, apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, type Staff } from "../support/db";

setupTestEnv();

const b64 = (n: number) => randomBytes(n).toString("base64url");
const spki = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }).toString("base64url");
const backupBody = (): KeyBackupBody => ({ publicKey: spki(), params: { memoryKiB: 19456, iterations: 2, parallelism: 1 }, salt: b64(16), iv: b64(12), wrapped: b64(154) });
const copy = (recipient: KeyCopyBody["recipient"], recipientId: string, epoch = 0): KeyCopyBody => ({ recipient, recipientId, kind: "consult", epoch, keyId: b64(16), box: b64(183) });

describeBackends("key backup and key copies", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;

  /** The doctor as a request sees them, signed in with `method`. */
  async function signedIn(who: Staff, method: "password" | "passkey" | "password+totp"): Promise<SessionUser> {
    const sessionId = await createSession(t.db, { userId: who.id, method: method === "password+totp" ? "password" : method });
    if (method === "password+totp") await t.db.session.update({ where: { id: sessionId }, data: { method } });
    return { id: who.id, name: who.name, email: who.email, role: who.role, sessionId, stage: "full" };
  }

  /**
   * A device of `me` as a browser makes it: an ECDSA P-256 identity (registered), and, unless
   * `boxKey` is false, an ECDH P-256 box key that identity signed, registered with setBoxKey.
   */
  async function device(me: SessionUser, { boxKey = true } = {}): Promise<string> {
    const identity = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const { deviceId } = await registerDevice(t.db, me, toBase64Url(new Uint8Array(await crypto.subtle.exportKey("spki", identity.publicKey))));
    if (boxKey) {
      const box = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
      const boxSpki = new Uint8Array(await crypto.subtle.exportKey("spki", box.publicKey));
      await setBoxKey(t.db, me, deviceId, toBase64Url(boxSpki), toBase64Url(await signBoxKey(identity.privateKey, me.id, deviceId, boxSpki)));
    }
    return deviceId;
  }

  beforeAll(async () => {
    doctor = await createStaff(t.db);
  });

  describe("the backup", () => {
    it("is set, then replaced, each audited; its public half is what devices read", async () => {
      const me = await signedIn(doctor, "password");
      expect(await backupInfo(t.db, me)).toBeNull();
      const first = backupBody();
      await setBackup(t.db, me, first, "203.0.113.9");
      expect(await backupInfo(t.db, me)).toMatchObject({ publicKey: first.publicKey, params: first.params });
      const second = backupBody();
      await setBackup(t.db, me, second);
      expect((await backupInfo(t.db, me))?.publicKey).toBe(second.publicKey);
      const actions = (await t.db.auditEvent.findMany({ where: { actorUserId: doctor.id, action: { startsWith: "key_backup" } }, orderBy: { id: "asc" } })).map((a) => a.action);
      expect(actions).toEqual(["key_backup.set", "key_backup.replaced"]);
    });

    it("refuses a public key that is not a P-256 point", async () => {
      const me = await signedIn(doctor, "password");
      expect(await apiErrorCode(setBackup(t.db, me, { ...backupBody(), publicKey: b64(91) }))).toBe("invalid_input");
    });

    it("hands out the wrapped key only to a sign-in with a second factor", async () => {
      const who = await createStaff(t.db);
      const body = backupBody();
      await setBackup(t.db, await signedIn(who, "password"), body);
      expect(await apiErrorCode(unlockBackup(t.db, await signedIn(who, "password")))).toBe("forbidden");
      expect(await unlockBackup(t.db, await signedIn(who, "passkey"))).toEqual(body);
      expect(await unlockBackup(t.db, await signedIn(who, "password+totp"))).toEqual(body);
    });

    it("at most five hand-outs an hour (each a guess), then 429 with Retry-After; a new hour allows again", async () => {
      const who = await createStaff(t.db);
      await setBackup(t.db, await signedIn(who, "password"), backupBody());
      const me = await signedIn(who, "passkey");
      const start = new Date();
      for (let i = 0; i < UNLOCK_LIMIT.max; i++) await unlockBackup(t.db, me, undefined, start);
      const refused = await unlockBackup(t.db, me, undefined, new Date(start.getTime() + 60_000)).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "rate_limited", retryAfterSeconds: UNLOCK_LIMIT.windowMs / 1000 - 60 });
      await expect(unlockBackup(t.db, me, undefined, new Date(start.getTime() + UNLOCK_LIMIT.windowMs + 1))).resolves.toBeTruthy();
      expect(await t.db.auditEvent.count({ where: { actorUserId: who.id, action: "key_backup.unlock_refused" } })).toBe(1);
    });

    it("a person without a backup is told so", async () => {
      const who = await createStaff(t.db);
      expect(await apiErrorCode(unlockBackup(t.db, await signedIn(who, "passkey")))).toBe("not_found");
    });
  });

  describe("key copies", () => {
    it("go to the doctor's own devices and backup, once each; each person reads only their own", async () => {
      const me = await signedIn(doctor, "password");
      const { id } = await createConsult(t.db, doctor, ORIGIN);
      const access = await accessOf(t.db, doctor.id, id);
      const laptop = await device(me, { boxKey: false });
      const phone = await device(me);
      const toPhone = copy("device", phone);
      const toBackup = copy("backup", doctor.id);
      const pins: KeyCopyBody = { ...copy("backup", doctor.id), kind: "pins", box: b64(869) };
      expect(await addKeyCopies(t.db, access, laptop, [toPhone, toBackup, pins])).toEqual({ added: 3 });
      expect(await addKeyCopies(t.db, access, laptop, [toPhone])).toEqual({ added: 0 });
      const devices = await listKeyCopies(t.db, me, "device");
      expect(devices.copies.filter((c) => c.consultId === id)).toEqual([expect.objectContaining({ ...toPhone, consultId: id })]);
      expect((await listKeyCopies(t.db, me, "backup")).copies.filter((c) => c.consultId === id)).toEqual(
        expect.arrayContaining([expect.objectContaining({ ...toBackup, consultId: id }), expect.objectContaining({ ...pins, consultId: id })]),
      );

      const other = await createStaff(t.db);
      const otherMe = await signedIn(other, "password");
      expect((await listKeyCopies(t.db, otherMe, "device")).copies).toEqual([]);
      expect((await listKeyCopies(t.db, otherMe, "backup")).copies).toEqual([]);
      expect(await t.db.auditEvent.count({ where: { consultId: id, action: "keys.copied" } })).toBe(1);
    });

    it("refuse another person's device or backup, a device that is not the caller's, a wrong size, and write nothing", async () => {
      const me = await signedIn(doctor, "password");
      const { id } = await createConsult(t.db, doctor, ORIGIN);
      const access = await accessOf(t.db, doctor.id, id);
      const laptop = (await registerDevice(t.db, me, spki())).deviceId;
      const other = await createStaff(t.db);
      const theirs = await device(await signedIn(other, "password")); // with a box key: refused for being theirs
      expect(await apiErrorCode(addKeyCopies(t.db, access, laptop, [copy("backup", doctor.id), copy("device", theirs)]))).toBe("invalid_input");
      expect(await apiErrorCode(addKeyCopies(t.db, access, laptop, [copy("backup", other.id)]))).toBe("invalid_input");
      expect(await apiErrorCode(addKeyCopies(t.db, access, theirs, [copy("backup", doctor.id)]))).toBe("forbidden");
      expect(await apiErrorCode(addKeyCopies(t.db, access, laptop, [{ ...copy("backup", doctor.id), box: b64(184) }]))).toBe("invalid_input");
      expect(await apiErrorCode(addKeyCopies(t.db, access, laptop, [copy("records", crypto.randomUUID())]))).toBe("invalid_input");
      // no records key in this clinic: a records copy of any kind is refused (records-key.test.ts has the rest)
      await expect(addKeyCopies(t.db, access, laptop, [{ ...copy("records", crypto.randomUUID()), kind: "pins", box: b64(869) }])).rejects.toMatchObject({ code: "invalid_input" });
      expect(await t.db.keyCopy.count({ where: { consultId: id } })).toBe(0);
    });

    it("a backup copy needs a backup", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who, "password");
      const { id } = await createConsult(t.db, who, ORIGIN);
      const phone = (await registerDevice(t.db, me, spki())).deviceId;
      expect(await apiErrorCode(addKeyCopies(t.db, await accessOf(t.db, who.id, id), phone, [copy("backup", who.id)]))).toBe("conflict");
    });

    it("a device copy needs the device's box key; pins go to a device that has one", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who, "password");
      const { id } = await createConsult(t.db, who, ORIGIN);
      const access = await accessOf(t.db, who.id, id);
      const laptop = await device(me);
      const phone = await device(me, { boxKey: false });
      // No box key yet: nothing is sealed to it, not even with a copy that may go.
      expect(await apiErrorCode(addKeyCopies(t.db, access, laptop, [copy("device", laptop), copy("device", phone)]))).toBe("conflict");
      expect(await apiErrorCode(addKeyCopies(t.db, access, laptop, [{ ...copy("device", phone), kind: "pins", box: b64(869) }]))).toBe("conflict");
      expect(await t.db.keyCopy.count({ where: { consultId: id } })).toBe(0);

      const pins: KeyCopyBody = { ...copy("device", laptop), kind: "pins", box: b64(869) };
      expect(await addKeyCopies(t.db, access, phone, [pins])).toEqual({ added: 1 });
      const stored = (await listKeyCopies(t.db, me, "device")).copies.filter((c) => c.consultId === id);
      expect(stored).toEqual([expect.objectContaining({ ...pins, consultId: id })]);
      expect(fromBase64Url(stored[0]!.box)).toHaveLength(869);
    });
  });
});
