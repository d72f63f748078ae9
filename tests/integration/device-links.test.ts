// A person's devices and linking a second one (PROTOCOL §7.2; lib/server/devices.ts,
// lib/server/device-links.ts) on both databases, as a person or an attacker would notice it: the
// device list shows the caller's active devices only; a box key is registered once, with its
// identity's signature; a link is made by a device with a box key, joined with its code by another
// device of the same person signed in with a second factor, relays the handshake between its two
// devices in order, and ends once (linked by the key holder, failed on a mismatch, cancelled);
// removing a device deletes its key copies and ends its links. Every step is audited.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";

import { fromBase64Url, signBoxKey, toBase64Url } from "@/lib/crypto";
import type { SessionUser } from "@/lib/server/authz";
import { createSession } from "@/lib/server/auth/sessions";
import { createConsult } from "@/lib/server/consults";
import { createLink, finishLink, joinLink, LINK_MAX_MESSAGES, LINK_TTL_MS, postLinkMessage, readLink } from "@/lib/server/device-links";
import { listDevices, registerDevice, removeDevice, setBoxKey } from "@/lib/server/devices";
import { setBackup } from "@/lib/server/key-backup";
import { addKeyCopies, listKeyCopies } from "@/lib/server/key-copies";
import { linkCode, linkMessage, type LinkMessage } from "@/lib/shared/devices";

import { accessOf, apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, type Staff } from "../support/db";
import { keyCopy } from "../support/key-copies";

setupTestEnv();

const b64 = (n: number) => randomBytes(n).toString("base64url");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("base64url");
const after = (iso: string, ms = 1) => new Date(Date.parse(iso) + ms);

/** A device as a browser makes it: its identity key pair and, once made, its box key. */
type Device = { id: string; identity: CryptoKeyPair; identitySpki: Uint8Array; boxSpki: Uint8Array };

// ---- the handshake's messages: shape-valid, never read by the server ----

const sid = () => b64(16);
const commit = (deviceId: string, reply = false): LinkMessage => linkMessage.parse({ type: "commit", sid: sid(), deviceId, c: b64(32), reply });
const reveal = (): LinkMessage => linkMessage.parse({ type: "reveal", sid: sid(), to: sid(), hello: b64(256), sig: b64(64) });
const confirm = (): LinkMessage => linkMessage.parse({ type: "confirm", sid: sid(), to: sid(), iv: b64(12), ct: b64(48) });
const grant = (): LinkMessage => linkMessage.parse({ type: "grant", sid: sid(), to: sid(), iv: b64(12), ct: b64(93 + 16) });

const copy = keyCopy;

describeBackends("devices and device links", (kind) => {
  const t = setupDatabase(kind);

  /** `who` as a request sees them, signed in with `method`. */
  async function signedIn(who: Staff, method: "password" | "passkey" | "password+totp" = "passkey"): Promise<SessionUser> {
    const sessionId = await createSession(t.db, { userId: who.id, method: method === "password+totp" ? "password" : method });
    if (method === "password+totp") await t.db.session.update({ where: { id: sessionId }, data: { method } });
    return { id: who.id, name: who.name, email: who.email, role: who.role, sessionId, stage: "full" };
  }

  /** A new identity (ECDSA P-256, as WebCrypto makes it) registered as a device of `me`; no box key yet. */
  async function newDevice(me: SessionUser): Promise<Device> {
    const identity = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const identitySpki = new Uint8Array(await crypto.subtle.exportKey("spki", identity.publicKey));
    const { deviceId } = await registerDevice(t.db, me, toBase64Url(identitySpki));
    return { id: deviceId, identity, identitySpki, boxSpki: await boxKey() };
  }

  /** A fresh ECDH P-256 box key's SPKI. */
  async function boxKey(): Promise<Uint8Array> {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
    return new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  }

  /** `signer`'s identity signature over `boxSpki` for (`userId`, `deviceId`), base64url. */
  async function sign(signer: Device, userId: string, deviceId: string, boxSpki: Uint8Array): Promise<string> {
    return toBase64Url(await signBoxKey(signer.identity.privateKey, userId, deviceId, boxSpki));
  }

  /** A device of `me` with its box key registered, as every page load makes sure of. */
  async function boxedDevice(me: SessionUser): Promise<Device> {
    const d = await newDevice(me);
    await setBoxKey(t.db, me, d.id, toBase64Url(d.boxSpki), await sign(d, me.id, d.id, d.boxSpki));
    return d;
  }

  /** A doctor with a device that holds the keys (A) and a new one (B), B joined to A's link. */
  async function joined() {
    const who = await createStaff(t.db);
    const me = await signedIn(who);
    const a = await boxedDevice(me);
    const b = await newDevice(me);
    const link = await createLink(t.db, me, a.id);
    await joinLink(t.db, me, link.code, b.id);
    return { who, me, a, b, link };
  }

  const auditCount = (userId: string, action: string) => t.db.auditEvent.count({ where: { actorUserId: userId, action } });

  describe("the device list", () => {
    it("shows the caller's active devices only, newest first, with identity, fingerprint and box key", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who, "password");
      const laptop = await boxedDevice(me);
      const phone = await newDevice(me);
      const gone = await boxedDevice(me);
      await removeDevice(t.db, me, gone.id);
      await t.db.device.update({ where: { id: laptop.id }, data: { createdAt: new Date(Date.now() - 60_000) } });
      const other = await createStaff(t.db);
      const otherMe = await signedIn(other, "password");
      const theirs = await boxedDevice(otherMe);

      const { devices } = await listDevices(t.db, me);
      expect(devices.map((d) => d.id)).toEqual([phone.id, laptop.id]);
      const [p, l] = devices;
      expect(l).toMatchObject({
        identityKey: toBase64Url(laptop.identitySpki),
        fingerprint: sha256(laptop.identitySpki),
        boxKey: toBase64Url(laptop.boxSpki),
        label: null,
        linkedAt: null,
      });
      expect(fromBase64Url(l!.boxKeySig!)).toHaveLength(64);
      expect(p).toMatchObject({ identityKey: toBase64Url(phone.identitySpki), fingerprint: sha256(phone.identitySpki), boxKey: null, boxKeySig: null });

      expect((await listDevices(t.db, otherMe)).devices.map((d) => d.id)).toEqual([theirs.id]);
    });
  });

  describe("a device's box key", () => {
    it("is registered with the device's own signature, once; the same key again is a no-op; audited once", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const d = await newDevice(me);
      const sig = await sign(d, me.id, d.id, d.boxSpki);
      await setBoxKey(t.db, me, d.id, toBase64Url(d.boxSpki), sig, "203.0.113.7");
      // A reload signs it again (ECDSA: another signature) and sends it again: nothing changes.
      await setBoxKey(t.db, me, d.id, toBase64Url(d.boxSpki), await sign(d, me.id, d.id, d.boxSpki));
      const [listed] = (await listDevices(t.db, me)).devices;
      expect(listed).toMatchObject({ id: d.id, boxKey: toBase64Url(d.boxSpki), boxKeySig: sig });
      const audits = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.box_key" } });
      expect(audits).toEqual([expect.objectContaining({ detail: { deviceId: d.id }, ip: "203.0.113.7" })]);
    });

    it("refuses a signature by another identity, over another device, person or key, and what is not a P-256 key", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const d = await newDevice(me);
      const sibling = await newDevice(me);
      const box = toBase64Url(d.boxSpki);
      const refused: [string, string][] = [
        [box, await sign(sibling, me.id, d.id, d.boxSpki)], // by another identity
        [box, await sign(d, me.id, sibling.id, d.boxSpki)], // over another device id
        [box, await sign(d, crypto.randomUUID(), d.id, d.boxSpki)], // for another person
        [box, await sign(d, me.id, d.id, await boxKey())], // over another box key
        [box, b64(64)], // not a signature
        [b64(91), await sign(d, me.id, d.id, d.boxSpki)], // not a P-256 key
      ];
      for (const [boxKeyB64, sig] of refused) expect(await apiErrorCode(setBoxKey(t.db, me, d.id, boxKeyB64, sig))).toBe("invalid_input");
      // The sibling's own box key, replayed onto this device, is not this device's either.
      await setBoxKey(t.db, me, sibling.id, toBase64Url(sibling.boxSpki), await sign(sibling, me.id, sibling.id, sibling.boxSpki));
      const siblingRow = await t.db.device.findUniqueOrThrow({ where: { id: sibling.id } });
      expect(await apiErrorCode(setBoxKey(t.db, me, d.id, toBase64Url(sibling.boxSpki), toBase64Url(siblingRow.boxKeySig!)))).toBe("invalid_input");

      const row = await t.db.device.findUniqueOrThrow({ where: { id: d.id } });
      expect(row.boxKey).toBeNull();
      expect(row.boxKeySig).toBeNull();
      expect(await auditCount(who.id, "device.box_key")).toBe(1); // the sibling's
    });

    it("refuses a second, different box key, keeping the first", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const d = await boxedDevice(me);
      const another = await boxKey();
      expect(await apiErrorCode(setBoxKey(t.db, me, d.id, toBase64Url(another), await sign(d, me.id, d.id, another)))).toBe("conflict");
      expect((await listDevices(t.db, me)).devices[0]?.boxKey).toBe(toBase64Url(d.boxSpki));
      expect(await auditCount(who.id, "device.box_key")).toBe(1);
    });

    it("refuses another person's device (not_found) and a removed device (forbidden)", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const other = await createStaff(t.db);
      const otherMe = await signedIn(other);
      const theirs = await newDevice(otherMe);
      // Even with a signature their identity made, for their own user id.
      expect(await apiErrorCode(setBoxKey(t.db, me, theirs.id, toBase64Url(theirs.boxSpki), await sign(theirs, other.id, theirs.id, theirs.boxSpki)))).toBe("not_found");
      expect(await apiErrorCode(setBoxKey(t.db, me, theirs.id, toBase64Url(theirs.boxSpki), await sign(theirs, me.id, theirs.id, theirs.boxSpki)))).toBe("not_found");
      expect(await apiErrorCode(setBoxKey(t.db, me, crypto.randomUUID(), toBase64Url(theirs.boxSpki), b64(64)))).toBe("not_found");
      expect((await t.db.device.findUniqueOrThrow({ where: { id: theirs.id } })).boxKey).toBeNull();

      const gone = await newDevice(me);
      await removeDevice(t.db, me, gone.id);
      expect(await apiErrorCode(setBoxKey(t.db, me, gone.id, toBase64Url(gone.boxSpki), await sign(gone, me.id, gone.id, gone.boxSpki)))).toBe("forbidden");
    });
  });

  describe("making a link", () => {
    it("needs a device with a box key; gives a 10-character base32 code for 10 minutes; audited", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who, "password"); // the key holder needs no second factor to offer a link
      const bare = await newDevice(me);
      expect(await apiErrorCode(createLink(t.db, me, bare.id))).toBe("conflict");
      expect(await t.db.deviceLink.count({ where: { userId: who.id } })).toBe(0);

      const d = await boxedDevice(me);
      const now = new Date();
      const link = await createLink(t.db, me, d.id, "203.0.113.8", now);
      expect(link.code).toMatch(/^[A-Z2-7]{10}$/);
      expect(linkCode.parse(link.code.toLowerCase().replace(/(.{5})/, "$1-"))).toBe(link.code); // as typed
      expect(link.expiresAt).toBe(new Date(now.getTime() + LINK_TTL_MS).toISOString());
      expect(LINK_TTL_MS).toBe(10 * 60_000);
      const unpinned = await createLink(t.db, me, d.id);
      expect(Date.parse(unpinned.expiresAt) - Date.now()).toBeGreaterThan(LINK_TTL_MS - 60_000);
      expect(Date.parse(unpinned.expiresAt) - Date.now()).toBeLessThanOrEqual(LINK_TTL_MS);

      expect(await readLink(t.db, me, link.id, d.id, 0)).toEqual({ state: "cancelled", fromDeviceId: d.id, toDeviceId: null, expiresAt: link.expiresAt, messages: [] });
      const started = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.link_started" }, orderBy: { id: "asc" } });
      expect(started.map((a) => a.detail)).toEqual([
        { linkId: link.id, deviceId: d.id },
        { linkId: unpinned.id, deviceId: d.id },
      ]);
      expect(started[0]?.ip).toBe("203.0.113.8");
    });

    it("codes differ from link to link", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const d = await boxedDevice(me);
      const codes = new Set<string>();
      for (let i = 0; i < 20; i++) codes.add((await createLink(t.db, me, d.id)).code);
      expect(codes.size).toBe(20);
    });

    it("a second link from the same device cancels the first: its code no longer joins", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const b = await newDevice(me);
      const first = await createLink(t.db, me, a.id);
      const second = await createLink(t.db, me, a.id);
      expect(second.code).not.toBe(first.code);
      expect((await readLink(t.db, me, first.id, a.id, 0)).state).toBe("cancelled");
      expect(await apiErrorCode(joinLink(t.db, me, first.code, b.id))).toBe("not_found");
      expect((await joinLink(t.db, me, second.code, b.id)).id).toBe(second.id);
    });

    it("is refused on another person's device, a removed device, and for a patient", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const other = await createStaff(t.db);
      const theirs = await boxedDevice(await signedIn(other));
      expect(await apiErrorCode(createLink(t.db, me, theirs.id))).toBe("not_found");
      const gone = await boxedDevice(me);
      await removeDevice(t.db, me, gone.id);
      expect(await apiErrorCode(createLink(t.db, me, gone.id))).toBe("forbidden");
      expect(await apiErrorCode(createLink(t.db, { ...me, role: "patient" }, theirs.id))).toBe("forbidden");
      expect(await t.db.deviceLink.count({ where: { userId: { in: [who.id, other.id] } } })).toBe(0);
    });
  });

  describe("joining a link", () => {
    it("needs a sign-in with a second factor: password alone is refused; password+totp or a passkey joins; audited", async () => {
      const who = await createStaff(t.db);
      const a = await boxedDevice(await signedIn(who, "password"));
      const password = await signedIn(who, "password");
      const b = await newDevice(password);
      const first = await createLink(t.db, password, a.id);
      expect(await apiErrorCode(joinLink(t.db, password, first.code, b.id))).toBe("forbidden");
      expect(await apiErrorCode(joinLink(t.db, { ...password, sessionId: undefined }, first.code, b.id))).toBe("forbidden");
      expect((await readLink(t.db, password, first.id, a.id, 0)).state).toBe("open");

      const totp = await signedIn(who, "password+totp");
      expect(await joinLink(t.db, totp, first.code, b.id, "203.0.113.9")).toEqual({ id: first.id, fromDeviceId: a.id, expiresAt: first.expiresAt });
      expect(await readLink(t.db, password, first.id, a.id, 0)).toMatchObject({ state: "joined", toDeviceId: b.id });

      const second = await createLink(t.db, password, a.id);
      const c = await newDevice(password);
      expect((await joinLink(t.db, await signedIn(who, "passkey"), second.code, c.id)).id).toBe(second.id);

      const joins = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.link_joined" }, orderBy: { id: "asc" } });
      expect(joins.map((j) => j.detail)).toEqual([
        { linkId: first.id, deviceId: b.id, fromDeviceId: a.id },
        { linkId: second.id, deviceId: c.id, fromDeviceId: a.id },
      ]);
      expect(joins[0]?.ip).toBe("203.0.113.9");
    });

    it("refuses a wrong code, an expired link, the device that made it, and a second device", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const b = await newDevice(me);
      const c = await newDevice(me);
      const link = await createLink(t.db, me, a.id);
      const wrong = link.code.startsWith("A") ? `B${link.code.slice(1)}` : `A${link.code.slice(1)}`;
      expect(await apiErrorCode(joinLink(t.db, me, wrong, b.id))).toBe("not_found");
      expect(await apiErrorCode(joinLink(t.db, me, link.code, b.id, undefined, after(link.expiresAt, 0)))).toBe("not_found");
      expect(await apiErrorCode(joinLink(t.db, me, link.code, b.id, undefined, after(link.expiresAt)))).toBe("not_found");
      expect(await apiErrorCode(joinLink(t.db, me, link.code, a.id))).toBe("invalid_input");
      expect(await apiErrorCode(joinLink(t.db, me, link.code, crypto.randomUUID()))).toBe("not_found");
      await joinLink(t.db, me, link.code, b.id, undefined, after(link.expiresAt, -1));
      expect(await apiErrorCode(joinLink(t.db, me, link.code, c.id))).toBe("not_found");
      expect(await apiErrorCode(joinLink(t.db, me, link.code, b.id))).toBe("not_found");
      expect(await readLink(t.db, me, link.id, a.id, 0)).toMatchObject({ state: "joined", toDeviceId: b.id });
      expect(await auditCount(who.id, "device.link_joined")).toBe(1);
    });

    it("two devices joining at once: one joins, the other is refused", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const b = await newDevice(me);
      const c = await newDevice(me);
      const link = await createLink(t.db, me, a.id);
      const results = await Promise.allSettled([joinLink(t.db, me, link.code, b.id), joinLink(t.db, me, link.code, c.id)]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected");
      expect(["not_found", "conflict"]).toContain((refused?.reason as { code?: string } | undefined)?.code);
      const state = await readLink(t.db, me, link.id, a.id, 0);
      expect(state.state).toBe("joined");
      expect([b.id, c.id]).toContain(state.toDeviceId);
      expect(await auditCount(who.id, "device.link_joined")).toBe(1);
    });

    it("another person cannot join with your code, nor join your link with your device", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const mine = await newDevice(me);
      const link = await createLink(t.db, me, a.id);
      const other = await createStaff(t.db);
      const otherMe = await signedIn(other, "passkey");
      const theirs = await newDevice(otherMe);
      expect(await apiErrorCode(joinLink(t.db, otherMe, link.code, theirs.id))).toBe("not_found");
      expect(await apiErrorCode(joinLink(t.db, otherMe, link.code, mine.id))).toBe("not_found");
      expect(await apiErrorCode(joinLink(t.db, me, link.code, theirs.id))).toBe("not_found");
      expect(await readLink(t.db, me, link.id, a.id, 0)).toMatchObject({ state: "open", toDeviceId: null });
    });
  });

  describe("messages on a link", () => {
    it("relay commit, reveal and confirm both ways and the grant from the key holder; each side reads the other's, in order, after a cursor", async () => {
      const { me, a, b, link } = await joined();
      const sent: { from: Device; message: LinkMessage }[] = [
        { from: a, message: commit(a.id) },
        { from: b, message: commit(b.id, true) },
        { from: a, message: reveal() },
        { from: b, message: reveal() },
        { from: b, message: confirm() },
        { from: a, message: confirm() },
        { from: a, message: grant() },
      ];
      for (const [i, s] of sent.entries()) expect(await postLinkMessage(t.db, me, link.id, s.from.id, s.message)).toEqual({ seq: i + 1 });
      const seenBy = (d: Device, after = 0) => sent.map((s, i) => ({ seq: i + 1, from: s.from.id, message: s.message })).filter((m) => m.from !== d.id && m.seq > after);

      expect(await readLink(t.db, me, link.id, a.id, 0)).toEqual({ state: "joined", fromDeviceId: a.id, toDeviceId: b.id, expiresAt: link.expiresAt, messages: seenBy(a) });
      expect((await readLink(t.db, me, link.id, b.id, 0)).messages).toEqual(seenBy(b));
      expect((await readLink(t.db, me, link.id, b.id, 3)).messages).toEqual(seenBy(b, 3));
      expect((await readLink(t.db, me, link.id, b.id, 3)).messages.map((m) => m.seq)).toEqual([6, 7]);
      expect((await readLink(t.db, me, link.id, a.id, 5)).messages).toEqual([]);
      expect((await readLink(t.db, me, link.id, b.id, 7)).messages).toEqual([]);
    });

    it("posted at once, they get distinct seqs, in one order both sides see", async () => {
      const { me, a, b, link } = await joined();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => postLinkMessage(t.db, me, link.id, i % 2 ? b.id : a.id, confirm())));
      expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const seqs = [...(await readLink(t.db, me, link.id, a.id, 0)).messages, ...(await readLink(t.db, me, link.id, b.id, 0)).messages].map((m) => m.seq);
      expect(seqs.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it("refuse a grant from the joining device", async () => {
      const { me, b, link } = await joined();
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, b.id, grant()))).toBe("forbidden");
      expect(await t.db.deviceLinkMessage.count({ where: { linkId: link.id } })).toBe(0);
    });

    it("are refused before a device joined and after the link expired", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const b = await newDevice(me);
      const link = await createLink(t.db, me, a.id);
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, a.id, commit(a.id)))).toBe("conflict");
      await joinLink(t.db, me, link.code, b.id);
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, a.id, commit(a.id), after(link.expiresAt)))).toBe("conflict");
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, b.id, commit(b.id), after(link.expiresAt, 0)))).toBe("conflict");
      expect((await readLink(t.db, me, link.id, b.id, 0, after(link.expiresAt))).state).toBe("cancelled");
      expect(await t.db.deviceLinkMessage.count({ where: { linkId: link.id } })).toBe(0);
    });

    it("another person's session is told there is no such link; a device not on the link is refused", async () => {
      const { me, who, a, link } = await joined();
      const third = await boxedDevice(me);
      const other = await createStaff(t.db);
      const otherMe = await signedIn(other);
      const theirs = await boxedDevice(otherMe);
      for (const deviceId of [a.id, theirs.id]) {
        expect(await apiErrorCode(postLinkMessage(t.db, otherMe, link.id, deviceId, commit(deviceId)))).toBe("not_found");
        expect(await apiErrorCode(readLink(t.db, otherMe, link.id, deviceId, 0))).toBe("not_found");
        expect(await apiErrorCode(finishLink(t.db, otherMe, link.id, deviceId, "cancelled"))).toBe("not_found");
      }
      expect(await apiErrorCode(postLinkMessage(t.db, me, crypto.randomUUID(), a.id, commit(a.id)))).toBe("not_found");
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, third.id, commit(third.id)))).toBe("forbidden");
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, third.id, grant()))).toBe("forbidden");
      expect(await apiErrorCode(readLink(t.db, me, link.id, third.id, 0))).toBe("forbidden");
      expect(await apiErrorCode(finishLink(t.db, me, link.id, third.id, "mismatch"))).toBe("forbidden");
      expect(await t.db.deviceLinkMessage.count({ where: { linkId: link.id } })).toBe(0);
      expect((await readLink(t.db, me, link.id, a.id, 0)).state).toBe("joined");
      expect(await t.db.auditEvent.count({ where: { actorUserId: { in: [who.id, other.id] }, action: { in: ["device.link_failed", "device.link_cancelled"] } } })).toBe(0);
    });

    it(`at most ${LINK_MAX_MESSAGES} on a link, then rate_limited`, async () => {
      const { me, a, b, link } = await joined();
      for (let i = 0; i < LINK_MAX_MESSAGES; i++) await postLinkMessage(t.db, me, link.id, i % 2 ? b.id : a.id, confirm());
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, a.id, confirm()))).toBe("rate_limited");
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, b.id, confirm()))).toBe("rate_limited");
      expect(await t.db.deviceLinkMessage.count({ where: { linkId: link.id } })).toBe(LINK_MAX_MESSAGES);
    });
  });

  describe("finishing a link", () => {
    it("linked: only from the device that made it, only once joined; marks both devices linked; audited; then no more messages; again is a no-op", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const b = await newDevice(me);
      const bystander = await boxedDevice(me);
      const link = await createLink(t.db, me, a.id);
      expect(await apiErrorCode(finishLink(t.db, me, link.id, a.id, "linked"))).toBe("conflict");
      await joinLink(t.db, me, link.code, b.id);
      expect(await apiErrorCode(finishLink(t.db, me, link.id, b.id, "linked"))).toBe("forbidden");
      expect(await apiErrorCode(finishLink(t.db, me, link.id, a.id, "linked", undefined, after(link.expiresAt)))).toBe("conflict");
      expect((await listDevices(t.db, me)).devices.every((d) => d.linkedAt === null)).toBe(true);

      await postLinkMessage(t.db, me, link.id, a.id, grant());
      const now = new Date();
      expect(await finishLink(t.db, me, link.id, a.id, "linked", "203.0.113.10", now)).toEqual({ state: "linked" });
      const linkedAt = Object.fromEntries((await listDevices(t.db, me)).devices.map((d) => [d.id, d.linkedAt]));
      expect(linkedAt).toEqual({ [a.id]: now.toISOString(), [b.id]: now.toISOString(), [bystander.id]: null });
      const audits = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.linked" } });
      expect(audits).toEqual([expect.objectContaining({ detail: { linkId: link.id, fromDeviceId: a.id, toDeviceId: b.id, by: a.id }, ip: "203.0.113.10" })]);

      expect(await readLink(t.db, me, link.id, b.id, 0)).toMatchObject({ state: "linked", messages: [expect.objectContaining({ seq: 1, from: a.id })] });
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, a.id, confirm()))).toBe("conflict");
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, b.id, confirm()))).toBe("conflict");
      expect(await finishLink(t.db, me, link.id, a.id, "linked")).toEqual({ state: "linked" });
      expect(await apiErrorCode(finishLink(t.db, me, link.id, b.id, "mismatch"))).toBe("conflict");
      expect(await apiErrorCode(finishLink(t.db, me, link.id, a.id, "cancelled"))).toBe("conflict");
      expect(await auditCount(who.id, "device.linked")).toBe(1);
      expect((await t.db.device.findUniqueOrThrow({ where: { id: a.id } })).linkedAt).toEqual(now);
    });

    it("mismatch from either side fails the link, audited; no messages after, nothing linked; again is a no-op", async () => {
      for (const side of ["a", "b"] as const) {
        const { who, me, a, b, link } = await joined();
        const by = side === "a" ? a : b;
        expect(await finishLink(t.db, me, link.id, by.id, "mismatch")).toEqual({ state: "failed" });
        expect((await readLink(t.db, me, link.id, a.id, 0)).state).toBe("failed");
        const audits = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.link_failed" } });
        expect(audits.map((x) => x.detail)).toEqual([{ linkId: link.id, fromDeviceId: a.id, toDeviceId: b.id, by: by.id }]);
        expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, a.id, grant()))).toBe("conflict");
        expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, b.id, confirm()))).toBe("conflict");
        expect(await apiErrorCode(finishLink(t.db, me, link.id, a.id, "linked"))).toBe("conflict");
        expect(await finishLink(t.db, me, link.id, side === "a" ? b.id : a.id, "mismatch")).toEqual({ state: "failed" });
        expect(await auditCount(who.id, "device.link_failed")).toBe(1);
        expect((await listDevices(t.db, me)).devices.every((d) => d.linkedAt === null)).toBe(true);
      }
    });

    it("cancelled from either side, audited", async () => {
      for (const side of ["a", "b"] as const) {
        const { who, me, a, b, link } = await joined();
        const by = side === "a" ? a : b;
        expect(await finishLink(t.db, me, link.id, by.id, "cancelled")).toEqual({ state: "cancelled" });
        expect(await finishLink(t.db, me, link.id, by.id, "cancelled")).toEqual({ state: "cancelled" });
        expect((await readLink(t.db, me, link.id, b.id, 0)).state).toBe("cancelled");
        expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, a.id, confirm()))).toBe("conflict");
        expect(await apiErrorCode(finishLink(t.db, me, link.id, a.id, "linked"))).toBe("conflict");
        const audits = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.link_cancelled" } });
        expect(audits.map((x) => x.detail)).toEqual([{ linkId: link.id, fromDeviceId: a.id, toDeviceId: b.id, by: by.id }]);
      }
    });
  });

  describe("removing a device", () => {
    it("takes it off the list, deletes the copies sealed to it, ends its links, and locks it out; audited", async () => {
      const who = await createStaff(t.db);
      const me = await signedIn(who);
      const a = await boxedDevice(me);
      const b = await boxedDevice(me);
      const c = await boxedDevice(me);
      await setBackup(t.db, me, {
        publicKey: toBase64Url(c.boxSpki),
        params: { memoryKiB: 19456, iterations: 2, parallelism: 1 },
        salt: b64(16),
        iv: b64(12),
        wrapped: b64(154),
      });
      const { id: consultId } = await createConsult(t.db, who, ORIGIN);
      const access = await accessOf(t.db, who.id, consultId);
      expect(await addKeyCopies(t.db, access, a.id, [copy("device", b.id), copy("device", b.id, "pins"), copy("device", c.id), copy("backup", who.id)])).toEqual({ added: 4 });
      // B's copies of other keys, sealed by B, are not B's to lose.
      expect(await addKeyCopies(t.db, access, b.id, [copy("device", a.id)])).toEqual({ added: 1 });

      const fromA = await createLink(t.db, me, a.id); // A→B, joined
      await joinLink(t.db, me, fromA.code, b.id);
      await postLinkMessage(t.db, me, fromA.id, a.id, commit(a.id));
      const fromB = await createLink(t.db, me, b.id); // B's own, open
      const fromC = await createLink(t.db, me, c.id); // C→A, joined: B is not on it
      await joinLink(t.db, me, fromC.code, a.id);

      const other = await createStaff(t.db);
      expect(await apiErrorCode(removeDevice(t.db, await signedIn(other), b.id))).toBe("not_found");
      expect(await apiErrorCode(removeDevice(t.db, me, crypto.randomUUID()))).toBe("not_found");

      expect(await removeDevice(t.db, me, b.id, "203.0.113.11")).toEqual({ copiesDeleted: 2 });

      expect((await listDevices(t.db, me)).devices.map((d) => d.id).sort()).toEqual([a.id, c.id].sort());
      expect(await t.db.keyCopy.count({ where: { recipient: "device", recipientId: b.id } })).toBe(0);
      const left = await t.db.keyCopy.findMany({ where: { consultId }, select: { recipient: true, recipientId: true } });
      expect(left).toHaveLength(3);
      expect(left).toEqual(
        expect.arrayContaining([
          { recipient: "device", recipientId: c.id },
          { recipient: "device", recipientId: a.id },
          { recipient: "backup", recipientId: who.id },
        ]),
      );
      expect((await listKeyCopies(t.db, me, "device")).copies.map((x) => x.recipientId).sort()).toEqual([a.id, c.id].sort());

      const rows = await t.db.deviceLink.findMany({ where: { id: { in: [fromA.id, fromB.id, fromC.id] } } });
      const state = Object.fromEntries(rows.map((l) => [l.id, l.state]));
      expect(state).toEqual({ [fromA.id]: "cancelled", [fromB.id]: "cancelled", [fromC.id]: "joined" });
      expect(rows.find((l) => l.id === fromA.id)?.finishedAt).toBeInstanceOf(Date);
      expect((await readLink(t.db, me, fromA.id, a.id, 0)).state).toBe("cancelled");

      // Locked out: no link, no join, no box key, no copies, no messages on its ended link.
      expect(await apiErrorCode(createLink(t.db, me, b.id))).toBe("forbidden");
      const fresh = await createLink(t.db, me, a.id);
      expect(await apiErrorCode(joinLink(t.db, me, fresh.code, b.id))).toBe("forbidden");
      expect(await apiErrorCode(postLinkMessage(t.db, me, fromA.id, b.id, confirm()))).toBe("forbidden");
      expect(await apiErrorCode(readLink(t.db, me, fromA.id, b.id, 0))).toBe("forbidden");
      expect(await apiErrorCode(postLinkMessage(t.db, me, fromA.id, a.id, confirm()))).toBe("conflict");
      expect(await apiErrorCode(addKeyCopies(t.db, access, a.id, [copy("device", b.id)]))).toBe("invalid_input");
      expect(await apiErrorCode(addKeyCopies(t.db, access, b.id, [copy("device", a.id)]))).toBe("forbidden");
      expect(await apiErrorCode(removeDevice(t.db, me, b.id))).toBe("forbidden");

      const removed = await t.db.auditEvent.findMany({ where: { actorUserId: who.id, action: "device.removed" } });
      expect(removed).toEqual([expect.objectContaining({ subjectUserId: who.id, detail: { deviceId: b.id, copiesDeleted: 2 }, ip: "203.0.113.11" })]);
    });

    it("a device revoked while on a joined link can no longer post on it", async () => {
      // A device retired by the device limit (registerDevice) is revoked without removeDevice, so its
      // link is still running: postLinkMessage itself refuses it.
      const { me, a, b, link } = await joined();
      await t.db.device.update({ where: { id: b.id }, data: { revokedAt: new Date() } });
      expect(await apiErrorCode(postLinkMessage(t.db, me, link.id, b.id, confirm()))).toBe("forbidden");
      expect(await apiErrorCode(finishLink(t.db, me, link.id, a.id, "linked"))).toBe("forbidden");
      expect(await t.db.deviceLinkMessage.count({ where: { linkId: link.id } })).toBe(0);
    });
  });
});
