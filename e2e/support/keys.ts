// Identity public keys for API tests, made with Node's crypto (the browser makes its own).
import { generateKeyPairSync, randomBytes } from "node:crypto";

const spki = (curve: "P-256" | "P-384") =>
  generateKeyPairSync("ec", { namedCurve: curve }).publicKey.export({ type: "spki", format: "der" }).toString("base64url");

/** A fresh P-256 SPKI (91 bytes), base64url. */
export const newIdentityKey = () => spki("P-256");
/** A P-384 key: a real key, but not the protocol's curve. */
export const p384IdentityKey = () => spki("P-384");
/** 91 random bytes: the right length, not a key. */
export const notAKey = () => randomBytes(91).toString("base64url");
