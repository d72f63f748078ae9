// Identity public keys for API tests, made with Node's crypto (the browser makes its own).
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";

const spki = (curve: "P-256" | "P-384") => generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({ type: "spki", format: "der" }).toString("base64url");

/** A fresh P-256 SPKI (91 bytes), base64url. */
export const newIdentityKey = () => spki("P-256");
/** A P-384 key: a real key, but not the protocol's curve. */
export const p384IdentityKey = () => spki("P-384");
/** 91 random bytes: the right length, not a key. */
export const notAKey = () => randomBytes(91).toString("base64url");

/** A UUID v7 as an earlier client made message ids (48-bit milliseconds, version 7, variant, random): still accepted. */
export function uuidV7(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A stored-message body as a client would post it (random bytes of the right sizes: the server cannot tell). */
export function sealedMessageBody(senderDeviceId: string, seq: number) {
  return {
    id: randomUUID(),
    senderDeviceId,
    seq,
    keyId: randomBytes(16).toString("base64url"),
    iv: randomBytes(12).toString("base64url"),
    ciphertext: randomBytes(256 + 16).toString("base64url"),
  };
}
