// zod schemas for the key backup and the sealed key copies (PROTOCOL §7): shared by the route
// handlers and the browser. Everything here is opaque to the server: public keys, salts, ivs and
// ciphertexts it stores and hands back, checked only for shape.
import { z } from "zod";
import { b64url, uuid } from "./api";

/** An ECDH P-256 public key (SPKI, 91 bytes). */
const spki = b64url(122, 122);

/** Argon2id's cost (PROTOCOL §7.3); the browser refuses the same range (lib/crypto/passphrase-backup.ts). */
export const kdfParams = z
  .object({
    memoryKiB: z.number().int().min(8).max(262_144),
    iterations: z.number().int().min(1).max(10),
    parallelism: z.number().int().min(1).max(4),
  })
  .strict();

/** Setting (or replacing) the passphrase backup: B's public half and its wrapped private half. */
export const keyBackupBody = z
  .object({
    publicKey: spki,
    params: kdfParams,
    /** 16 bytes */
    salt: b64url(22, 22),
    /** 12 bytes */
    iv: b64url(16, 16),
    /** AES-256-GCM of PKCS#8(B_priv): 138 + 16 bytes */
    wrapped: b64url(200, 220),
  })
  .strict();
export type KeyBackupBody = z.infer<typeof keyBackupBody>;

/** What any of the person's devices may read: what to seal new copies to. */
export const keyBackupInfo = z.object({ publicKey: spki, params: kdfParams, updatedAt: z.string() }).nullable();

/** What unlocking hands out (counted: each is a guess at the passphrase). */
export const keyBackupUnlockAnswer = keyBackupBody;

export const copyRecipient = z.enum(["device", "backup", "records"]);
/** a consult key, the consult's name key, or the pins its record needs on another device (a device or the backup) */
export const copyKind = z.enum(["consult", "name", "pins"]);

/** One sealed copy of a consult key or name key (a sealed box, PROTOCOL §7.1). */
export const keyCopy = z
  .object({
    recipient: copyRecipient,
    /** the device's id, the person's user id, or the records key's id */
    recipientId: uuid,
    kind: copyKind,
    epoch: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    /** 16 bytes */
    keyId: b64url(22, 22),
    /** enc(SPKI(e), iv, ct): 183 bytes for a consult key, 269 for a name key, 869 for pins */
    box: b64url(240, 1160),
  })
  .strict();
export type KeyCopyBody = z.infer<typeof keyCopy>;

export const postKeyCopiesBody = z
  .object({
    /** the device that sealed them (one of the caller's) */
    fromDeviceId: uuid,
    copies: z.array(keyCopy).min(1).max(100),
  })
  .strict();

export const keyCopiesQuery = z.object({
  /** copies sealed to the caller's devices, or to the caller's backup key */
  recipient: z.enum(["device", "backup"]),
  after: uuid.optional(),
});

export const storedKeyCopy = keyCopy.extend({ id: uuid, consultId: uuid });
export const keyCopiesAnswer = z.object({ copies: z.array(storedKeyCopy), next: uuid.nullable() });
export type StoredKeyCopy = z.infer<typeof storedKeyCopy>;

/** The clinic's records key as devices and admins see it (PROTOCOL §7.4): the public half only. */
export const recordsKeyInfo = z.object({ id: uuid, publicKey: spki, fingerprint: z.string(), createdAt: z.string() });
export type RecordsKeyInfo = z.infer<typeof recordsKeyInfo>;
export const recordsKeyAnswer = recordsKeyInfo.nullable();
export const recordsKeyBody = z.object({ publicKey: spki }).strict();
