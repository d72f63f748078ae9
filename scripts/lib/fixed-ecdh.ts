// A fixed ECDH P-256 key for the test-vector generators: d = SHA-256(utf8(seed)), imported through
// PKCS#8, with its JWK and SPKI. Never a real key: the seeds are in the vector files.
import { createHash } from "node:crypto";
import { concat, fromHex, subtle } from "../../lib/crypto";

// PKCS#8 { version 0, { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey { 1, d } } }.
const PKCS8_P256_PREFIX = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");

export async function fixedEcdh(seed: string) {
  const d = new Uint8Array(createHash("sha256").update(seed, "utf8").digest());
  const privateKey = await subtle().importKey("pkcs8", concat(PKCS8_P256_PREFIX, d), { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const jwk = await subtle().exportKey("jwk", privateKey);
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.x || !jwk.y) throw new Error("unexpected JWK export");
  const publicKey = await subtle().importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, { name: "ECDH", namedCurve: "P-256" }, true, []);
  const spki = new Uint8Array(await subtle().exportKey("spki", publicKey));
  return { seed, d, jwk: { kty: "EC", crv: "P-256", d: jwk.d, x: jwk.x, y: jwk.y }, spki, pair: { privateKey, publicKey } };
}

export type FixedEcdhKey = Awaited<ReturnType<typeof fixedEcdh>>;
