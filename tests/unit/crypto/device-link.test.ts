// PROTOCOL §7.2: linking a device (lib/crypto/device-link.ts). The fixed vectors
// (scripts/gen-backup-vectors.ts, checked there against node:crypto): the box key's signature made by
// node:crypto verifies here, the link's hello context and both grants are recomputed byte for byte;
// then what a reader refuses: another person, device, box key, label or identity; a grant of another
// link or direction, altered, of another size, format or flags.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  encodeHello,
  enc,
  fromHex,
  generateEcdhKey,
  generateSigningKey,
  importAeadKey,
  label,
  LABEL,
  LINK_CONTEXT_BYTES,
  LINK_GRANT_BYTES,
  linkHelloContext,
  openLinkGrant,
  seal,
  sealLinkGrant,
  signBoxKey,
  signRaw,
  subtle,
  toHex,
  uuidBytes,
  verifyBoxKey,
  type LinkContext,
} from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() });
const key = z.object({ jwk, spki: hex }).loose();
const grant = z.object({ backupSpki: hex.nullable(), iv: hex, plaintext: hex, ciphertext: hex }).loose();
const Vectors = z.object({
  keys: z.object({ device: key, backup: key, identity: key }).loose(),
  input: z.object({ userId: z.uuid(), deviceId: z.uuid(), other: z.object({ userId: z.uuid(), deviceId: z.uuid() }).loose() }).loose(),
  link: z.object({
    linkId: z.uuid(),
    fromDeviceId: z.uuid(),
    toDeviceId: z.uuid(),
    boxKey: z.object({ identitySpki: hex, boxSpki: hex, signed: hex, signature: hex }).loose(),
    helloContext: z.object({ context: hex }).loose(),
    grant: z.object({ pairwise: hex, aad: hex, withBackup: grant, withoutBackup: grant }).loose(),
  }),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-devices-backup.json", import.meta.url)), "utf8")));
const { userId, deviceId, other } = v.input;
const { link } = v;
const identitySpki = fromHex(v.keys.identity.spki);
const boxSpki = fromHex(v.keys.device.spki);
const signature = fromHex(link.boxKey.signature);
const identityPrivate = () => subtle().importKey("jwk", v.keys.identity.jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
const ctx: LinkContext = { linkId: link.linkId, fromDeviceId: link.fromDeviceId, toDeviceId: link.toDeviceId };
const pairwise = () => importAeadKey(fromHex(link.grant.pairwise));
const flip = (b: Uint8Array, at: number) => {
  const out = b.slice();
  out[at] = (out[at] ?? 0) ^ 1;
  return out;
};
const otherLinkId = "3f2a1b0c-9d8e-4f70-8a1b-2c3d4e5f6a7c";

describe("device link: the fixed vectors", () => {
  it("the box key's signed bytes are enc(label, userId, deviceId, SPKI(box)), and node:crypto's signature verifies", async () => {
    expect(link.boxKey.identitySpki).toBe(v.keys.identity.spki);
    expect(link.boxKey.boxSpki).toBe(v.keys.device.spki);
    expect(link.toDeviceId).toBe(deviceId);
    const signed = enc(label(LABEL.boxKey), uuidBytes(userId), uuidBytes(deviceId), boxSpki);
    expect(toHex(signed)).toBe(link.boxKey.signed);
    expect(signed).toHaveLength(156);
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, boxSpki)).toBe(true);
  });

  it("signBoxKey signs those bytes: its (randomized) signature verifies, and is r‖s", async () => {
    const sig = await signBoxKey(await identityPrivate(), userId, deviceId, boxSpki);
    expect(sig).toHaveLength(64);
    expect(await verifyBoxKey(identitySpki, sig, userId, deviceId, boxSpki)).toBe(true);
    const verifyKey = await subtle().importKey("spki", identitySpki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    expect(await subtle().verify({ name: "ECDSA", hash: "SHA-256" }, verifyKey, sig, fromHex(link.boxKey.signed))).toBe(true);
  });

  it("the link's hello context is the vector's, 16 bytes, and fits a hello's consult id with a zero DTLS fingerprint", async () => {
    const context = await linkHelloContext(link.linkId);
    expect(toHex(context)).toBe(link.helloContext.context);
    expect(context).toHaveLength(LINK_CONTEXT_BYTES);
    expect(toHex(await linkHelloContext(link.linkId.toUpperCase()))).toBe(link.helloContext.context);
    expect(toHex(await linkHelloContext(otherLinkId))).not.toBe(link.helloContext.context);
    expect(toHex(context)).not.toBe(toHex(uuidBytes(link.linkId)));
    const id = await generateSigningKey();
    const hello = encodeHello({
      consultId: context,
      deviceId: uuidBytes(deviceId),
      sid: new Uint8Array(16),
      identity: id.spki,
      ephemeral: fromHex(`04${v.keys.device.spki.slice(-128)}`),
      dtls: new Uint8Array(32),
    });
    expect(hello.length).toBeGreaterThan(0);
  });

  it.each([
    ["with the backup key", link.grant.withBackup],
    ["without a backup key", link.grant.withoutBackup],
  ])("seals the grant %s to exactly the vector's bytes, and opens it back", async (_, g) => {
    const backupSpki = g.backupSpki === null ? undefined : fromHex(g.backupSpki);
    if (backupSpki) expect(g.backupSpki).toBe(v.keys.backup.spki);
    const sealed = await sealLinkGrant(await pairwise(), ctx, backupSpki ? { backupSpki } : {}, fromHex(g.iv));
    expect(toHex(sealed.iv)).toBe(g.iv);
    expect(toHex(sealed.ciphertext)).toBe(g.ciphertext);
    expect(sealed.ciphertext).toHaveLength(LINK_GRANT_BYTES + 16);
    expect(fromHex(g.plaintext)).toHaveLength(LINK_GRANT_BYTES);
    expect(toHex(enc(label(LABEL.link), uuidBytes(ctx.linkId), uuidBytes(ctx.fromDeviceId), uuidBytes(ctx.toDeviceId)))).toBe(link.grant.aad);
    const opened = await openLinkGrant(await pairwise(), ctx, sealed.iv, sealed.ciphertext);
    expect(opened.backupSpki === undefined ? null : toHex(opened.backupSpki)).toBe(g.backupSpki);
  });
});

describe("device link: a box key's signature refused", () => {
  it("for another person, device or box key", async () => {
    expect(await verifyBoxKey(identitySpki, signature, other.userId, deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, other.deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, fromHex(v.keys.backup.spki))).toBe(false);
    // Swapping the ids is another message too.
    expect(await verifyBoxKey(identitySpki, signature, deviceId, userId, boxSpki)).toBe(false);
  });

  it("under another label, or the same fields encoded another way", async () => {
    const k = await identityPrivate();
    const fields = [uuidBytes(userId), uuidBytes(deviceId), boxSpki] as const;
    for (const signed of [
      enc(label(LABEL.helloSig), ...fields),
      enc(label(LABEL.backupKey), ...fields),
      enc(label(LABEL.boxKey), enc(...fields)), // signLabeled's nesting
      enc(...fields),
    ]) {
      expect(await verifyBoxKey(identitySpki, await signRaw(k, signed), userId, deviceId, boxSpki)).toBe(false);
    }
    expect(await verifyBoxKey(identitySpki, await signRaw(k, enc(label(LABEL.boxKey), ...fields)), userId, deviceId, boxSpki)).toBe(true);
  });

  it("made by another identity, or checked against another identity", async () => {
    const another = await generateSigningKey();
    expect(await verifyBoxKey(identitySpki, await signBoxKey(another.privateKey, userId, deviceId, boxSpki), userId, deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(another.spki, signature, userId, deviceId, boxSpki)).toBe(false);
  });

  it("altered, or malformed anywhere: false, never a throw", async () => {
    for (const at of [0, 31, 32, 63]) expect(await verifyBoxKey(identitySpki, flip(signature, at), userId, deviceId, boxSpki), `signature byte ${at}`).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature.subarray(0, 63), userId, deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(identitySpki, new Uint8Array(72), userId, deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(identitySpki, new Uint8Array(0), userId, deviceId, boxSpki)).toBe(false);
    // box SPKI: one byte short or long, another header, a point off the curve
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, boxSpki.subarray(0, 90))).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, Uint8Array.of(...boxSpki, 0))).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, flip(boxSpki, 5))).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, flip(boxSpki, 90))).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, deviceId, new Uint8Array(91))).toBe(false);
    // identity SPKI
    expect(await verifyBoxKey(identitySpki.subarray(0, 90), signature, userId, deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(flip(identitySpki, 90), signature, userId, deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(new Uint8Array(91), signature, userId, deviceId, boxSpki)).toBe(false);
    // ids
    expect(await verifyBoxKey(identitySpki, signature, "not-a-uuid", deviceId, boxSpki)).toBe(false);
    expect(await verifyBoxKey(identitySpki, signature, userId, "", boxSpki)).toBe(false);
  });

  it("signBoxKey signs only a 91-byte P-256 SPKI and real ids", async () => {
    const k = await identityPrivate();
    await expect(signBoxKey(k, userId, deviceId, boxSpki.subarray(0, 90))).rejects.toThrow(/91-byte SPKI/);
    await expect(signBoxKey(k, userId, deviceId, flip(boxSpki, 3))).rejects.toThrow(/91-byte SPKI/);
    await expect(signBoxKey(k, userId, deviceId, flip(boxSpki, 90))).rejects.toThrow(/not a valid P-256/);
    await expect(signBoxKey(k, "nope", deviceId, boxSpki)).rejects.toThrow(/not a UUID/);
    const fresh = await generateEcdhKey();
    expect(await verifyBoxKey(identitySpki, await signBoxKey(k, userId, deviceId, fresh.spki), userId, deviceId, fresh.spki)).toBe(true);
  });
});

describe("device link: a grant refused", () => {
  const withBackup = { iv: fromHex(link.grant.withBackup.iv), ciphertext: fromHex(link.grant.withBackup.ciphertext) };

  it("of another link, or in the other direction", async () => {
    const k = await pairwise();
    await expect(openLinkGrant(k, { ...ctx, linkId: otherLinkId }, withBackup.iv, withBackup.ciphertext)).rejects.toThrow(/decryption failed/);
    await expect(openLinkGrant(k, { ...ctx, fromDeviceId: ctx.toDeviceId, toDeviceId: ctx.fromDeviceId }, withBackup.iv, withBackup.ciphertext)).rejects.toThrow(/decryption failed/);
    await expect(openLinkGrant(k, { ...ctx, toDeviceId: other.deviceId }, withBackup.iv, withBackup.ciphertext)).rejects.toThrow(/decryption failed/);
    await expect(openLinkGrant(k, { ...ctx, toDeviceId: ctx.fromDeviceId }, withBackup.iv, withBackup.ciphertext)).rejects.toThrow(/itself/);
  });

  it("under another pairwise key", async () => {
    const k = await importAeadKey(new Uint8Array(32).fill(7));
    await expect(openLinkGrant(k, ctx, withBackup.iv, withBackup.ciphertext)).rejects.toThrow(/decryption failed/);
  });

  it("altered anywhere", async () => {
    const k = await pairwise();
    for (const at of [0, 1, 2, 50, withBackup.ciphertext.length - 1])
      await expect(openLinkGrant(k, ctx, withBackup.iv, flip(withBackup.ciphertext, at)), `byte ${at}`).rejects.toThrow(/decryption failed/);
    await expect(openLinkGrant(k, ctx, flip(withBackup.iv, 0), withBackup.ciphertext)).rejects.toThrow(/decryption failed/);
  });

  it("of another size", async () => {
    const k = await pairwise();
    await expect(openLinkGrant(k, ctx, withBackup.iv, withBackup.ciphertext.subarray(0, withBackup.ciphertext.length - 1))).rejects.toThrow(/93 bytes/);
    await expect(openLinkGrant(k, ctx, withBackup.iv, Uint8Array.of(...withBackup.ciphertext, 0))).rejects.toThrow(/93 bytes/);
    await expect(openLinkGrant(k, ctx, withBackup.iv.subarray(0, 11), withBackup.ciphertext)).rejects.toThrow(/93 bytes/);
    // Sealed correctly, but of another length.
    const aad = fromHex(link.grant.aad);
    const long = await seal(k, Uint8Array.of(...fromHex(link.grant.withBackup.plaintext), 0), aad);
    await expect(openLinkGrant(k, ctx, long.iv, long.ciphertext)).rejects.toThrow(/93 bytes/);
  });

  it("of an unknown format or flags, with bytes after no key, or with a key that is not a P-256 point", async () => {
    const k = await pairwise();
    const aad = fromHex(link.grant.aad);
    const sealedWith = async (edit: (p: Uint8Array) => void) => {
      const p = fromHex(link.grant.withBackup.plaintext);
      edit(p);
      return seal(k, p, aad);
    };
    const cases: [(p: Uint8Array) => void, RegExp][] = [
      [(p) => (p[0] = 2), /format 1/],
      [(p) => (p[0] = 0), /format 1/],
      [(p) => (p[1] = 2), /flags/],
      [(p) => (p[1] = 3), /flags/],
      [(p) => (p[1] = 0), /padding/], // no key, but the key's bytes still there
      [(p) => p.set(flip(p, 5)), /91-byte SPKI/],
      [(p) => p.set(flip(p, 92)), /not a valid P-256/],
    ];
    for (const [edit, refusal] of cases) {
      const g = await sealedWith(edit);
      await expect(openLinkGrant(k, ctx, g.iv, g.ciphertext), String(refusal)).rejects.toThrow(refusal);
    }
    const onePadByte = fromHex(link.grant.withoutBackup.plaintext);
    onePadByte[LINK_GRANT_BYTES - 1] = 1;
    const g = await seal(k, onePadByte, aad);
    await expect(openLinkGrant(k, ctx, g.iv, g.ciphertext)).rejects.toThrow(/padding/);
  });

  it("a grant is not sealed with a malformed backup key, or from a device to itself", async () => {
    const k = await pairwise();
    const b = fromHex(v.keys.backup.spki);
    await expect(sealLinkGrant(k, ctx, { backupSpki: b.subarray(0, 90) })).rejects.toThrow(/91-byte SPKI/);
    await expect(sealLinkGrant(k, ctx, { backupSpki: flip(b, 90) })).rejects.toThrow(/not a valid P-256/);
    await expect(sealLinkGrant(k, { ...ctx, toDeviceId: ctx.fromDeviceId }, {})).rejects.toThrow(/itself/);
    await expect(sealLinkGrant(k, { ...ctx, linkId: "x" }, {})).rejects.toThrow(/not a UUID/);
  });

  it("random grants differ, and each opens", async () => {
    const k = await pairwise();
    const b = fromHex(v.keys.backup.spki);
    const one = await sealLinkGrant(k, ctx, { backupSpki: b });
    const two = await sealLinkGrant(k, ctx, { backupSpki: b });
    expect(toHex(one.iv)).not.toBe(toHex(two.iv));
    expect(toHex((await openLinkGrant(k, ctx, two.iv, two.ciphertext)).backupSpki ?? new Uint8Array())).toBe(v.keys.backup.spki);
  });
});
