// Writes the fixed vectors of PROTOCOL §6 (the sealed patient name), computed through lib/crypto's
// own code and checked here against node:crypto (ECDH, HKDF and AES-GCM), an independent
// implementation. tests/unit/crypto/sealed-name.test.ts recomputes every output.
//
//   npx tsx scripts/gen-name-vectors.ts            writes tests/vectors/parley-v1-sealed-names.json once
//   npx tsx scripts/gen-name-vectors.ts --force    overwrites it (a protocol change!)
import { createDecipheriv, createECDH, hkdfSync } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dec, enc, encodeSealedName, fromHex, sealName, toHex, utf8, uuidBytes, type Bytes } from "../lib/crypto";
import { fixedEcdh } from "./lib/fixed-ecdh";

const OUT = fileURLToPath(new URL("../tests/vectors/parley-v1-sealed-names.json", import.meta.url));
const force = process.argv.includes("--force");

/** Opens a sealed name with node:crypto alone: the check that lib/crypto computed what §6 says. */
function nodeOpen(sealed: Uint8Array, nD: Uint8Array, nSpki: Uint8Array, consultId: string, inviteId: string): string {
  const [eSpki, iv, ct] = dec(sealed, 3) as [Bytes, Bytes, Bytes];
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(nD);
  const shared = ecdh.computeSecret(eSpki.subarray(eSpki.length - 65));
  const info = enc(utf8("parley/v1/name"), eSpki, nSpki);
  const k = Buffer.from(hkdfSync("sha256", shared, uuidBytes(consultId), info, 32));
  const decipher = createDecipheriv("aes-256-gcm", k, iv);
  decipher.setAAD(enc(utf8("parley/v1/name"), uuidBytes(consultId), uuidBytes(inviteId)));
  decipher.setAuthTag(ct.subarray(ct.length - 16));
  const padded = Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]);
  const end = padded.lastIndexOf(0x80);
  return padded.subarray(0, end).toString("utf8");
}

const nameKey = await fixedEcdh("parley/v1 test vector: name key N");
const ephemeral = await fixedEcdh("parley/v1 test vector: name ephemeral e");
const consultId = "0192f3a4-b5c6-4d8e-9fa0-b1c2d3e4f506";
const inviteId = "3f1e2d3c-4b5a-4697-8877-665544332211";
const names = ["Ana María Pérez", "李小龙", "Ø", "x".repeat(240)];
const iv = fromHex("a0a1a2a3a4a5a6a7a8a9aaab");

const cases = [];
for (const name of names) {
  const sealed = await sealName(name, nameKey.spki, consultId, inviteId, { ephemeral: ephemeral.pair, iv });
  if (nodeOpen(sealed, nameKey.d, nameKey.spki, consultId, inviteId) !== name.normalize("NFC")) throw new Error(`node:crypto disagrees for ${name}`);
  cases.push({ name, sealed: toHex(sealed), text: encodeSealedName(sealed) });
}
if (existsSync(OUT) && !force) {
  console.log(`${OUT} exists; left as it is (use --force only for a protocol change)`);
} else {
  const keyOut = (k: typeof nameKey, tests: string) => ({ tests, seed: k.seed, d: toHex(k.d), jwk: k.jwk, spki: toHex(k.spki) });
  const file = {
    source: "scripts/gen-name-vectors.ts (lib/crypto/sealed-name.ts, cross-checked with node:crypto)",
    protocol: "parley/v1",
    section: "6 (sealed patient names)",
    keys: { nameKey: keyOut(nameKey, "N, the doctor's per-consult name key (ECDH P-256)"), ephemeral: keyOut(ephemeral, "e, the join page's one-off key (fixed here only)") },
    input: { consultId, inviteId, iv: toHex(iv) },
    cases,
  };
  writeFileSync(OUT, JSON.stringify(file, null, 2) + "\n");
  console.log(`wrote ${OUT}`);
}
