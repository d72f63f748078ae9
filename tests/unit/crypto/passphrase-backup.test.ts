// PROTOCOL §7.3: the backup key B wrapped under a key derived from the person's passphrase. The fixed
// vectors (scripts/gen-backup-vectors.ts, Argon2id checked there against @node-rs/argon2, AES-GCM
// against node:crypto) are recomputed through lib/crypto; then what a reader must refuse. Only one
// test runs Argon2id at BACKUP_KDF's real cost; the rest use the vectors' small parameters.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BACKUP_KDF,
  createBackup,
  decodeKdfParams,
  deriveBackupKek,
  enc,
  encodeKdfParams,
  fromHex,
  importAeadKey,
  newBackupKey,
  openConsultKeyCopy,
  PKCS8_BYTES,
  restoreBackup,
  sealConsultKeyCopy,
  seal,
  subtle,
  toHex,
  u32,
  unwrapBackupKey,
  utf8,
  uuidBytes,
  wrapBackupKey,
  type KdfParams,
} from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() });
const key = z.object({ tests: z.string(), seed: z.string(), d: hex, jwk, spki: hex });
const params = z.object({ algorithm: z.literal("argon2id"), memoryKiB: z.number().int(), iterations: z.number().int(), parallelism: z.number().int() }).strict();
const wrap = z.object({ params, paramsEncoded: hex, salt: hex, kek: hex, iv: hex, aad: hex, wrapped: hex });
const Vectors = z.object({
  protocol: z.literal("parley/v1"),
  keys: z.object({ backup: key }),
  input: z.object({ userId: z.uuid(), consultId: z.uuid(), other: z.object({ userId: z.uuid() }) }),
  backup: z.object({ passphrase: z.string(), small: wrap, owasp: wrap }),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-devices-backup.json", import.meta.url)), "utf8")));
const { userId, other } = v.input;
const { passphrase, small } = v.backup;
const spki = fromHex(v.keys.backup.spki);

/** B's private half from the vectors, extractable so that it can be wrapped. */
const backupPrivate = () => subtle().importKey("jwk", v.keys.backup.jwk, { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
const smallKek = () => deriveBackupKek(passphrase, fromHex(small.salt), small.params);
const unwrapSmall = async (over: { kek?: CryptoKey; userId?: string; spki?: Uint8Array; params?: KdfParams; wrapped?: Uint8Array } = {}) =>
  unwrapBackupKey(over.kek ?? (await smallKek()), over.userId ?? userId, over.spki ?? spki, over.params ?? small.params, fromHex(small.iv), over.wrapped ?? fromHex(small.wrapped));

describe("passphrase backup: the fixed vectors", () => {
  it("the parameters encode to the vector's bytes and back", () => {
    for (const w of [small, v.backup.owasp]) {
      expect(toHex(encodeKdfParams(w.params))).toBe(w.paramsEncoded);
      expect(decodeKdfParams(fromHex(w.paramsEncoded))).toEqual(w.params);
    }
    expect(v.backup.owasp.params).toEqual(BACKUP_KDF);
  });

  it("derives the vector's KEK (small parameters), and wraps B to exactly the vector's bytes", async () => {
    const kek = await smallKek();
    // The KEK is non-extractable; the same key imported from the vector's bytes must seal alike.
    const probe = await seal(await importAeadKey(fromHex(small.kek)), utf8("probe"), new Uint8Array(0), fromHex(small.iv));
    expect(toHex((await seal(kek, utf8("probe"), new Uint8Array(0), fromHex(small.iv))).ciphertext)).toBe(toHex(probe.ciphertext));
    const wrapped = await wrapBackupKey(kek, userId, spki, small.params, await backupPrivate(), fromHex(small.iv));
    expect(toHex(wrapped.iv)).toBe(small.iv);
    expect(toHex(wrapped.ciphertext)).toBe(small.wrapped);
    expect(wrapped.ciphertext).toHaveLength(PKCS8_BYTES + 16);
  });

  it("unwraps B from the vector: the key on record, and it opens B's copies", async () => {
    const b = await unwrapSmall();
    expect(toHex(b.spki)).toBe(v.keys.backup.spki);
    const ck = { epoch: 7, keyId: new Uint8Array(16).fill(7), key: new Uint8Array(32).fill(9) };
    const box = await sealConsultKeyCopy({ kind: "backup", userId }, v.input.consultId, ck, spki);
    expect(toHex((await openConsultKeyCopy({ kind: "backup", userId }, v.input.consultId, box, b, { epoch: 7 })).key)).toBe(toHex(ck.key));
  });

  it("BACKUP_KDF (19 MiB, 2 passes) derives the vector's KEK and unwraps B; a new backup uses it (the one slow test)", async () => {
    const w = v.backup.owasp;
    const kek = await deriveBackupKek(passphrase, fromHex(w.salt), BACKUP_KDF);
    expect(toHex((await wrapBackupKey(kek, userId, spki, BACKUP_KDF, await backupPrivate(), fromHex(w.iv))).ciphertext)).toBe(w.wrapped);
    expect(toHex((await unwrapBackupKey(kek, userId, spki, BACKUP_KDF, fromHex(w.iv), fromHex(w.wrapped))).spki)).toBe(v.keys.backup.spki);
    const made = await createBackup(passphrase, userId);
    expect(made.record.params).toEqual(BACKUP_KDF);
    expect(toHex((await restoreBackup(passphrase, userId, made.record)).spki)).toBe(toHex(made.key.spki));
  });

  it("the passphrase is read in NFKC: the same words typed another way open it", async () => {
    const decomposed = "cafe\u0301 ﬁle"; // "café file" with a combining accent and the "fi" ligature
    const salt = fromHex(small.salt);
    const b = await newBackupKey();
    const wrapped = await wrapBackupKey(await deriveBackupKek("café file", salt, small.params), userId, b.spki, small.params, b.privateKey);
    const kek = await deriveBackupKek(decomposed, salt, small.params);
    expect(toHex((await unwrapBackupKey(kek, userId, b.spki, small.params, wrapped.iv, wrapped.ciphertext)).spki)).toBe(toHex(b.spki));
  });
});

describe("passphrase backup: what a reader refuses", () => {
  it("a wrong passphrase fails the AEAD", async () => {
    const kek = await deriveBackupKek("correct horse battery stapler", fromHex(small.salt), small.params);
    await expect(unwrapSmall({ kek })).rejects.toThrow(/decryption failed/);
  });

  it("the right passphrase with another salt is a wrong key too", async () => {
    const kek = await deriveBackupKek(passphrase, new Uint8Array(16), small.params);
    await expect(unwrapSmall({ kek })).rejects.toThrow(/decryption failed/);
  });

  it("person A's blob presented as person B's does not open, even with A's passphrase", async () => {
    await expect(unwrapSmall({ userId: other.userId })).rejects.toThrow(/decryption failed/);
  });

  it("the blob with other parameters, or another SPKI, does not open (both are in the AAD)", async () => {
    // The KEK is the right one: only what the server says of the blob differs.
    await expect(unwrapSmall({ params: { ...small.params, iterations: 2 } })).rejects.toThrow(/decryption failed/);
    await expect(unwrapSmall({ params: { ...small.params, memoryKiB: 128 } })).rejects.toThrow(/decryption failed/);
    await expect(unwrapSmall({ spki: (await newBackupKey()).spki })).rejects.toThrow(/decryption failed/);
  });

  it("a flipped bit in the wrapped key is refused; so are other sizes", async () => {
    const w = fromHex(small.wrapped);
    for (const at of [0, 70, w.length - 1]) {
      const bad = w.slice();
      bad[at] = (bad[at] ?? 0) ^ 1;
      await expect(unwrapSmall({ wrapped: bad }), `byte ${at}`).rejects.toThrow(/decryption failed/);
    }
    await expect(unwrapSmall({ wrapped: w.subarray(1) })).rejects.toThrow(/fixed size/);
  });

  it("a wrapped key that is not SPKI's own is refused, though the AEAD passes", async () => {
    // Someone holding the KEK wraps another key under B's SPKI: it would restore a key that opens nothing.
    const kek = await smallKek();
    const stranger = await newBackupKey();
    await expect(wrapBackupKey(kek, userId, spki, small.params, stranger.privateKey)).rejects.toThrow(/not its SPKI's/);
    const pkcs8 = new Uint8Array(await subtle().exportKey("pkcs8", stranger.privateKey));
    const aad = enc(utf8("parley/v1/backup-key"), uuidBytes(userId), spki, encodeKdfParams(small.params));
    expect(toHex(aad)).toBe(small.aad);
    const sealed = await seal(kek, pkcs8, aad, fromHex(small.iv));
    await expect(unwrapSmall({ kek, wrapped: sealed.ciphertext })).rejects.toThrow(/not the backup key on record/);
  });

  it("an empty passphrase and a salt of the wrong size are refused", async () => {
    await expect(deriveBackupKek("", fromHex(small.salt), small.params)).rejects.toThrow(/not empty/);
    await expect(deriveBackupKek(passphrase, new Uint8Array(15), small.params)).rejects.toThrow(/16 bytes/);
  });
});

describe("the key derivation's parameters", () => {
  const encoded = (name: string, m: number, t: number, p: number) => enc(utf8(name), u32(m), u32(t), u32(p));

  it("out of range or another algorithm is refused, encoded or not", async () => {
    for (const [m, t, p] of [
      [7, 1, 1],
      [1024 * 1024 + 1, 1, 1],
      [64, 0, 1],
      [64, 11, 1],
      [64, 1, 0],
      [64, 1, 5],
      [16, 1, 4], // below 8 KiB a lane
    ] as const) {
      const bad: KdfParams = { algorithm: "argon2id", memoryKiB: m, iterations: t, parallelism: p };
      expect(() => decodeKdfParams(encoded("argon2id", m, t, p)), `${m} ${t} ${p}`).toThrow();
      expect(() => encodeKdfParams(bad), `${m} ${t} ${p}`).toThrow();
      await expect(deriveBackupKek(passphrase, fromHex(small.salt), bad), `${m} ${t} ${p}`).rejects.toThrow();
    }
    expect(() => decodeKdfParams(encoded("argon2i", 64, 1, 1))).toThrow(/unknown key derivation "argon2i"/);
    expect(() => encodeKdfParams({ ...small.params, iterations: 1.5 })).toThrow();
  });

  it("the encoding is strict: trailing bytes, missing fields and wide numbers are refused", () => {
    const good = fromHex(small.paramsEncoded);
    expect(() => decodeKdfParams(new Uint8Array([...good, 0]))).toThrow(/malformed/);
    expect(() => decodeKdfParams(good.subarray(0, good.length - 8))).toThrow(/malformed/);
    expect(() => decodeKdfParams(enc(utf8("argon2id"), u32(64), u32(1), new Uint8Array([0, 0, 0, 0, 1])))).toThrow(/malformed/);
  });
});

describe("a backup made and restored", () => {
  it("restores with the passphrase, and not with another one or as another person", async () => {
    const { key, record } = await createBackup("a long and memorable phrase", userId, small.params);
    expect(record.salt).toHaveLength(16);
    expect(toHex(record.spki)).toBe(toHex(key.spki));
    expect(toHex((await restoreBackup("a long and memorable phrase", userId, record)).spki)).toBe(toHex(key.spki));
    await expect(restoreBackup("a long and memorable phrase.", userId, record)).rejects.toThrow(/decryption failed/);
    await expect(restoreBackup("a long and memorable phrase", other.userId, record)).rejects.toThrow(/decryption failed/);
  });

  it("two backups of the same passphrase take different salts and keys", async () => {
    const a = await createBackup(passphrase, userId, small.params);
    const b = await createBackup(passphrase, userId, small.params);
    expect(toHex(a.record.salt)).not.toBe(toHex(b.record.salt));
    expect(toHex(a.key.spki)).not.toBe(toHex(b.key.spki));
  });
});
