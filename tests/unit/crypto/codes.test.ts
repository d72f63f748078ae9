// The numbers people compare (PROTOCOL §1, §2.6): the safety number (60 digits in 12 groups of 5,
// the same on both sides) and the call code (three numbers 1000…9191 carrying 39 bits of TH).
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { callCode, checkPin, enc, fingerprint, generateSigningKey, hkdf, label, LABEL, randomBytes, safetyNumber, sha256, toHex } from "@/lib/crypto";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** One side's 30 digits, computed here independently of lib/crypto's safetyHalf. */
async function half(spki: Uint8Array): Promise<string> {
  const d = await sha256(enc(label(LABEL.safety), spki));
  let out = "";
  for (let i = 0; i < 6; i++) {
    const chunk = BigInt("0x" + toHex(d.subarray(5 * i, 5 * i + 5)));
    out += (chunk % 100000n).toString().padStart(5, "0");
  }
  return out;
}

describe("safety number", () => {
  it("is 60 digits in 12 groups of 5, the same in either order, made of the two sorted halves", async () => {
    await fc.assert(
      fc.asyncProperty(bytes(91), bytes(91), async (a, b) => {
        const n = await safetyNumber(a, b);
        expect(n).toMatch(/^\d{5}( \d{5}){11}$/);
        expect(n.replace(/ /g, "")).toHaveLength(60);
        expect(await safetyNumber(b, a)).toBe(n);
        const halves = [await half(a), await half(b)].sort();
        expect(n.replace(/ /g, "")).toBe(halves.join(""));
      }),
      { numRuns: 100 },
    );
  });

  it("for real identity keys: changes when either key changes", async () => {
    const [a, b, c] = await Promise.all([generateSigningKey(), generateSigningKey(), generateSigningKey()]);
    const ab = await safetyNumber(a.spki, b.spki);
    expect(ab).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(await safetyNumber(a.spki, c.spki)).not.toBe(ab);
    expect(await safetyNumber(c.spki, b.spki)).not.toBe(ab);
    // A device compared with itself shows its half twice.
    const aa = (await safetyNumber(a.spki, a.spki)).replace(/ /g, "");
    expect(aa.slice(0, 30)).toBe(aa.slice(30));
  });

  it("fingerprint is the SHA-256 of the SPKI; pins compare whole keys", async () => {
    const { spki } = await generateSigningKey();
    expect(toHex(await fingerprint(spki))).toBe(toHex(await sha256(spki)));
    expect(checkPin(undefined, spki)).toBe("new");
    expect(checkPin(new Uint8Array(spki), spki)).toBe("same");
    const other = new Uint8Array(spki);
    other[90] = (other[90] ?? 0) ^ 1;
    expect(checkPin(other, spki)).toBe("changed");
    expect(checkPin(spki.subarray(0, 90), spki)).toBe("changed");
  });
});

describe("call code", () => {
  it("is three numbers 1000…9191 (13 bits each) holding the top 39 bits of HKDF(TH)", async () => {
    await fc.assert(
      fc.asyncProperty(bytes(32), async (th) => {
        const code = await callCode(th);
        expect(code.text).toMatch(/^\d{4} \d{4} \d{4}$/);
        expect(code.text).toBe(code.numbers.join(" "));
        for (const n of code.numbers) {
          expect(Number.isInteger(n)).toBe(true);
          expect(n).toBeGreaterThanOrEqual(1000);
          expect(n - 1000).toBeLessThan(8192);
          expect(n).toBeLessThanOrEqual(9191);
        }
        const [n1, n2, n3] = code.numbers.map((n) => BigInt(n - 1000));
        const v = (BigInt("0x" + toHex(await hkdf(th, new Uint8Array(32), label(LABEL.callCode), 5))) >> 1n) & ((1n << 39n) - 1n);
        expect(((n1 ?? 0n) << 26n) | ((n2 ?? 0n) << 13n) | (n3 ?? 0n)).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  it("uses all 39 bits: every bit of each number is seen set and clear over random THs", async () => {
    const codes = await Promise.all(Array.from({ length: 200 }, () => callCode(randomBytes(32))));
    for (let i = 0; i < 3; i++) {
      const values = codes.map((c) => (c.numbers[i] ?? 1000) - 1000);
      expect(
        values.reduce((a, b) => a | b, 0),
        `number ${i + 1}: some bit never set`,
      ).toBe(0x1fff);
      expect(
        values.reduce((a, b) => a & b, 0x1fff),
        `number ${i + 1}: some bit always set`,
      ).toBe(0);
    }
  });

  it("differs for different transcripts and is stable for one", async () => {
    const th = randomBytes(32);
    const other = new Uint8Array(th);
    other[0] = (other[0] ?? 0) ^ 0x80;
    const [a, b, c] = await Promise.all([callCode(th), callCode(new Uint8Array(th)), callCode(other)]);
    expect(b).toEqual(a);
    expect(c.text).not.toBe(a.text);
  });
});
