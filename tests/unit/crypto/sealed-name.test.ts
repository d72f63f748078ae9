// PROTOCOL §6: the sealed patient name. The fixed vectors (scripts/gen-name-vectors.ts, checked there
// against node:crypto) are recomputed through lib/crypto; then what a reader must refuse.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  decodeSealedName,
  doctorAnchor,
  encodeSealedName,
  fromHex,
  generateEcdhKey,
  inviteFragment,
  MAX_NAME_BYTES,
  NAME_BLOCK,
  openName,
  padName,
  parseInviteFragment,
  sealName,
  SEALED_NAME_CHARS,
  subtle,
  toHex,
  unpadName,
} from "@/lib/crypto";
import { sealedName as sealedNameSchema } from "@/lib/shared/api";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const jwk = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), d: z.string(), x: z.string(), y: z.string() });
const key = z.object({ tests: z.string(), seed: z.string(), d: hex, jwk, spki: hex });
const Vectors = z.object({
  protocol: z.literal("parley/v1"),
  keys: z.object({ nameKey: key, ephemeral: key }),
  input: z.object({ consultId: z.uuid(), inviteId: z.uuid(), iv: hex }),
  cases: z.array(z.object({ name: z.string(), sealed: hex, text: z.string() })).min(4),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-sealed-names.json", import.meta.url)), "utf8")));
const { consultId, inviteId } = v.input;

async function pair(k: z.infer<typeof key>): Promise<CryptoKeyPair> {
  const alg = { name: "ECDH", namedCurve: "P-256" };
  const privateKey = await subtle().importKey("jwk", k.jwk, alg, false, ["deriveBits"]);
  const publicKey = await subtle().importKey("jwk", { kty: "EC", crv: "P-256", x: k.jwk.x, y: k.jwk.y }, alg, true, []);
  return { privateKey, publicKey };
}
const nameKey = async () => ({ privateKey: (await pair(v.keys.nameKey)).privateKey, spki: fromHex(v.keys.nameKey.spki) });

describe("sealed names: the fixed vectors", () => {
  it.each(v.cases)("seals $name to exactly the vector's bytes, and opens it back", async (c) => {
    const sealed = await sealName(c.name, fromHex(v.keys.nameKey.spki), consultId, inviteId, { ephemeral: await pair(v.keys.ephemeral), iv: fromHex(v.input.iv) });
    expect(toHex(sealed)).toBe(c.sealed);
    expect(encodeSealedName(sealed)).toBe(c.text);
    expect(c.text).toHaveLength(SEALED_NAME_CHARS);
    expect(sealedNameSchema.safeParse(c.text).success, "the server's schema takes it").toBe(true);
    expect(await openName(decodeSealedName(c.text), await nameKey(), consultId, inviteId)).toBe(c.name);
  });

  it("every sealed name has the same length, whatever the name", () => {
    expect(new Set(v.cases.map((c) => c.text.length))).toEqual(new Set([SEALED_NAME_CHARS]));
  });
});

describe("sealed names: what a reader refuses", () => {
  const first = () => fromHex(v.cases[0]?.sealed ?? "");

  it("a name sealed for another invite, or another consult, does not open", async () => {
    const k = await nameKey();
    await expect(openName(first(), k, consultId, "3f1e2d3c-4b5a-4697-8877-665544332212")).rejects.toThrow(/decryption failed/);
    await expect(openName(first(), k, "0192f3a4-b5c6-4d8e-9fa0-b1c2d3e4f507", inviteId)).rejects.toThrow(/decryption failed/);
  });

  it("another name key cannot open it (a server that swapped N gains nothing: it never held N)", async () => {
    await expect(openName(first(), await generateEcdhKey(), consultId, inviteId)).rejects.toThrow();
  });

  it("a flipped bit anywhere is refused", async () => {
    const k = await nameKey();
    const sealed = first();
    for (const at of [10, 100, 120, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at] = (bad[at] ?? 0) ^ 1;
      await expect(openName(bad, k, consultId, inviteId), `byte ${at}`).rejects.toThrow();
    }
  });

  it("random seals of the same name differ (fresh e and iv each time)", async () => {
    const n = await generateEcdhKey();
    const a = await sealName("Sam", n.spki, consultId, inviteId);
    const b = await sealName("Sam", n.spki, consultId, inviteId);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(await openName(a, n, consultId, inviteId)).toBe("Sam");
  });
});

describe("name padding", () => {
  it("pads to one block and back; refuses empty, too long and malformed", () => {
    expect(padName("Ana")).toHaveLength(NAME_BLOCK);
    expect(unpadName(padName("Ana"))).toBe("Ana");
    expect(unpadName(padName("é".repeat(MAX_NAME_BYTES / 2)))).toBe("é".repeat(MAX_NAME_BYTES / 2));
    expect(() => padName("")).toThrow();
    expect(() => padName("x".repeat(MAX_NAME_BYTES + 1))).toThrow(/at most/);
    const noMarker = new Uint8Array(NAME_BLOCK).fill(0x41);
    expect(() => unpadName(noMarker)).toThrow(/padding/);
    const badUtf8 = padName("ab");
    badUtf8[0] = 0xff;
    expect(() => unpadName(badUtf8)).toThrow(/UTF-8/);
  });

  it("80 UTF-16 code units (the join form's limit) always fit", () => {
    expect(() => padName("語".repeat(80))).not.toThrow();
    expect(() => padName("😀".repeat(40))).not.toThrow();
  });
});

describe("the invite link's fragment", () => {
  it("carries N and the doctor's anchor, and reads back", async () => {
    const n = await generateEcdhKey();
    const doctor = await doctorAnchor(n.spki);
    const text = inviteFragment({ nameKey: n.spki, doctor });
    const back = parseInviteFragment(`#${text}`);
    expect(back && toHex(back.nameKey)).toBe(toHex(n.spki));
    expect(back && toHex(back.doctor)).toBe(toHex(doctor));
  });

  it("a missing or malformed fragment reads as none", () => {
    for (const h of ["", "#", "#n=abc&f=def", "#n=&f=", `#f=${"A".repeat(22)}`]) expect(parseInviteFragment(h), h).toBeUndefined();
  });
});
