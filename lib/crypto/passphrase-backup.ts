// The passphrase backup (PROTOCOL §7.3): a person's backup key B (ECDH P-256), its private half
// wrapped under a key derived from their passphrase, so the server can keep it and not open it.
//   params  = enc(utf8("argon2id"), u32(memoryKiB), u32(iterations), u32(parallelism))
//   KEK     = Argon2id(utf8(NFKC(passphrase)), salt[16], params) → 32 bytes
//   wrapped = AES-256-GCM(KEK, iv, PKCS#8(B_priv) (138 bytes),
//                         AAD = enc("parley/v1/backup-key", userId, SPKI(B_pub), params))
// The server keeps { salt, params, iv, wrapped, SPKI(B_pub) } per person; consult keys reach the
// backup as sealed boxes to B_pub (key-copies.ts), which need no passphrase.
import { argon2id } from "hash-wasm";
import { equal, fromUtf8, readU32, u32, utf8, uuidBytes, wipe, type Bytes } from "./bytes";
import { dec, enc } from "./encoding";
import { exportBoxKey, importBoxKey, PKCS8_BYTES } from "./key-copies";
import { LABEL, label } from "./labels";
import { generateEcdhKey, importAeadKey, open, seal, SIZES, type AeadKey } from "./primitives";
import { type BoxKey } from "./sealed-box";
import { ProtocolError, randomBytes } from "./subtle";

export type KdfParams = { algorithm: "argon2id"; memoryKiB: number; iterations: number; parallelism: number };

/** OWASP's first Argon2id recommendation: 19 MiB, 2 passes, 1 lane. */
export const BACKUP_KDF: KdfParams = { algorithm: "argon2id", memoryKiB: 19456, iterations: 2, parallelism: 1 };

/**
 * The parameters a reader accepts, since they come back from the server: the floor lets the test
 * vectors use small ones (64 KiB, 1 pass), and the ceiling keeps a server from making a browser
 * spend more than 256 MiB or minutes on one guess. New backups always use BACKUP_KDF.
 */
export const KDF_LIMITS = { memoryKiB: [8, 256 * 1024], iterations: [1, 10], parallelism: [1, 4] } as const;

export const BACKUP_SALT_BYTES = 16;
const ALGORITHM = "argon2id";

function checkKdfParams(p: KdfParams): void {
  if (p.algorithm !== ALGORITHM) throw new ProtocolError("the backup's key derivation is Argon2id");
  for (const field of ["memoryKiB", "iterations", "parallelism"] as const) {
    const [min, max] = KDF_LIMITS[field];
    const n = p[field];
    if (!Number.isInteger(n) || n < min || n > max) throw new ProtocolError(`Argon2id ${field} must be from ${min} to ${max}`);
  }
  // Argon2 needs at least 8 KiB of memory per lane.
  if (p.memoryKiB < 8 * p.parallelism) throw new ProtocolError("Argon2id needs at least 8 KiB per lane");
}

/** enc(utf8("argon2id"), u32(memoryKiB), u32(iterations), u32(parallelism)): what the wrap's AAD binds. */
export function encodeKdfParams(p: KdfParams): Bytes {
  checkKdfParams(p);
  return enc(utf8(p.algorithm), u32(p.memoryKiB), u32(p.iterations), u32(p.parallelism));
}

/** The parameters from their encoding; anything else, or out of KDF_LIMITS, is refused. */
export function decodeKdfParams(bytes: Uint8Array): KdfParams {
  let fields: Bytes[];
  try {
    fields = dec(bytes, 4);
  } catch {
    throw new ProtocolError("malformed key derivation parameters");
  }
  const [name, m, t, p] = fields as [Bytes, Bytes, Bytes, Bytes];
  if (!equal(name, utf8(ALGORITHM)) || m.length !== 4 || t.length !== 4 || p.length !== 4) throw new ProtocolError(`unknown key derivation "${safeText(name)}" or malformed parameters`);
  const params: KdfParams = { algorithm: ALGORITHM, memoryKiB: readU32(m), iterations: readU32(t), parallelism: readU32(p) };
  checkKdfParams(params);
  return params;
}

function safeText(b: Uint8Array): string {
  try {
    return fromUtf8(b.subarray(0, 32));
  } catch {
    return "?";
  }
}

/** A fresh 16-byte salt, for a new passphrase (a changed passphrase takes a new one too). */
export const newBackupSalt = (): Bytes => randomBytes(BACKUP_SALT_BYTES);

/**
 * The key that wraps B: Argon2id over the passphrase in NFKC, so the same words typed on another
 * keyboard or system give the same key. Takes a moment by design (BACKUP_KDF: about what one
 * guess costs an attacker holding the database).
 */
export async function deriveBackupKek(passphrase: string, salt: Uint8Array, params: KdfParams): Promise<AeadKey> {
  checkKdfParams(params);
  if (salt.length !== BACKUP_SALT_BYTES) throw new ProtocolError(`the backup's salt is ${BACKUP_SALT_BYTES} bytes`);
  const password = utf8(passphrase.normalize("NFKC"));
  if (password.length === 0) throw new ProtocolError("a passphrase is not empty");
  let raw: Uint8Array | undefined;
  try {
    raw = await argon2id({ password, salt, iterations: params.iterations, parallelism: params.parallelism, memorySize: params.memoryKiB, hashLength: SIZES.aesKey, outputType: "binary" });
    return await importAeadKey(raw);
  } finally {
    wipe(password);
    wipe(raw);
  }
}

/** A new backup key B, extractable so that its private half can be wrapped. */
export const newBackupKey = (): Promise<BoxKey> => generateEcdhKey();

function wrapAad(userId: string, backupSpki: Uint8Array, params: KdfParams): Bytes {
  if (backupSpki.length !== 91) throw new ProtocolError("a P-256 SPKI public key is 91 bytes");
  return enc(label(LABEL.backupKey), uuidBytes(userId), backupSpki, encodeKdfParams(params));
}

/**
 * Wraps B's private half under the KEK, for `userId`, with B's SPKI and the parameters bound in the
 * AAD. `iv` is for the test vectors only.
 */
export async function wrapBackupKey(kek: AeadKey, userId: string, backupSpki: Uint8Array, params: KdfParams, backupPrivate: CryptoKey, iv?: Uint8Array): Promise<{ iv: Bytes; ciphertext: Bytes }> {
  const aad = wrapAad(userId, backupSpki, params);
  const pkcs8 = await exportBoxKey(backupPrivate);
  try {
    // A wrap whose private half is not SPKI's would restore a key that opens nothing.
    if (!equal(pkcs8.subarray(PKCS8_BYTES - SIZES.point), backupSpki.subarray(91 - SIZES.point))) throw new ProtocolError("the backup key's private half is not its SPKI's");
    return await seal(kek, pkcs8, aad, iv);
  } finally {
    wipe(pkcs8);
  }
}

/**
 * Unwraps B. A wrong passphrase (so a wrong KEK), another person's blob, other parameters or another
 * SPKI all fail the AEAD ("decryption failed"); a key that is not SPKI's is refused too.
 */
export async function unwrapBackupKey(kek: AeadKey, userId: string, backupSpki: Uint8Array, params: KdfParams, iv: Uint8Array, ciphertext: Uint8Array): Promise<BoxKey> {
  if (ciphertext.length !== PKCS8_BYTES + SIZES.tag) throw new ProtocolError("a wrapped backup key has a fixed size");
  const pkcs8 = await open(kek, iv, ciphertext, wrapAad(userId, backupSpki, params));
  try {
    const key = await importBoxKey(pkcs8);
    if (!equal(key.spki, backupSpki)) throw new ProtocolError("the unwrapped key is not the backup key on record");
    return key;
  } finally {
    wipe(pkcs8);
  }
}

/** What the server keeps per person (§7.3). */
export type BackupRecord = { salt: Uint8Array; params: KdfParams; iv: Uint8Array; wrapped: Uint8Array; spki: Uint8Array };

/**
 * A new backup key B for `userId`, wrapped under `passphrase`: B (to seal copies to) and the record
 * for the server. `params` other than BACKUP_KDF are for tests only.
 */
export async function createBackup(passphrase: string, userId: string, params: KdfParams = BACKUP_KDF): Promise<{ key: BoxKey; record: BackupRecord }> {
  const key = await newBackupKey();
  const salt = newBackupSalt();
  const kek = await deriveBackupKek(passphrase, salt, params);
  const { iv, ciphertext } = await wrapBackupKey(kek, userId, key.spki, params, key.privateKey);
  return { key, record: { salt, params: { ...params }, iv, wrapped: ciphertext, spki: key.spki } };
}

/** B from the server's record and the passphrase; a wrong passphrase is a ProtocolError ("decryption failed"). */
export async function restoreBackup(passphrase: string, userId: string, record: BackupRecord): Promise<BoxKey> {
  const kek = await deriveBackupKek(passphrase, record.salt, record.params);
  return unwrapBackupKey(kek, userId, record.spki, record.params, record.iv, record.wrapped);
}
