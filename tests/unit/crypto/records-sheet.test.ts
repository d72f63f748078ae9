// PROTOCOL §7.4: the clinic's records key R and its recovery sheet of 24 words. The fixed vectors
// (scripts/gen-backup-vectors.ts, the words checked there against BIP-39 written out, R against
// node:crypto) are recomputed through lib/crypto; then what a reader must refuse.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { entropyToMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  fromHex,
  isRecordsScalar,
  newRecordsKey,
  newRecordsScalar,
  openConsultKeyCopy,
  openNameKeyCopy,
  openRecordsSheet,
  recordsFingerprint,
  recordsKeyFromScalar,
  scalarFromWords,
  SHEET_WORDS,
  sheetWords,
  toHex,
} from "@/lib/crypto";

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const Vectors = z.object({
  protocol: z.literal("parley/v1"),
  keys: z.object({ records: z.object({ d: hex, spki: hex }), nameKey: z.object({ spki: hex }) }),
  input: z.object({ consultId: z.uuid(), consultKey: z.object({ epoch: z.number().int(), keyId: hex, key: hex }) }),
  copies: z.array(z.object({ what: z.string(), recipient: z.object({ kind: z.string() }), box: hex })),
  sheet: z.object({ d: hex, words: z.array(z.string()).length(24), spki: hex, fingerprint: z.string().regex(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/) }),
});
const v = Vectors.parse(JSON.parse(readFileSync(fileURLToPath(new URL("../../vectors/parley-v1-devices-backup.json", import.meta.url)), "utf8")));
const { sheet } = v;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const scalar = (n: bigint) => fromHex(n.toString(16).padStart(64, "0"));
const typed = (words: string[]) => words.join(" ");
/** Valid BIP-39 words of any entropy, even one that is no scalar (sheetWords refuses those). */
const bip39Words = (entropy: Uint8Array) => entropyToMnemonic(entropy, wordlist).split(" ");

describe("the recovery sheet: the fixed vectors", () => {
  it("d is the records key's own, and its sheet has the vector's 24 words", () => {
    expect(sheet.d).toBe(v.keys.records.d);
    expect(sheetWords(fromHex(sheet.d))).toEqual(sheet.words);
  });

  it("the words give d back, and d gives R and its fingerprint", async () => {
    const d = scalarFromWords(typed(sheet.words));
    expect(toHex(d)).toBe(sheet.d);
    const r = await recordsKeyFromScalar(d);
    expect(toHex(r.spki)).toBe(sheet.spki);
    expect(await recordsFingerprint(r.spki)).toBe(sheet.fingerprint);
  });

  it("the key typed from the sheet opens the records copies of the vectors", async () => {
    const r = await openRecordsSheet(typed(sheet.words), fromHex(sheet.spki));
    const box = (what: string) => fromHex(v.copies.find((c) => c.what === what && c.recipient.kind === "records")?.box ?? "");
    const k = v.input.consultKey;
    const ck = await openConsultKeyCopy({ kind: "records" }, v.input.consultId, box("consult key"), r, { epoch: k.epoch, keyId: fromHex(k.keyId) });
    expect(toHex(ck.key)).toBe(k.key);
    expect(toHex((await openNameKeyCopy({ kind: "records" }, v.input.consultId, box("name key"), r)).spki)).toBe(v.keys.nameKey.spki);
  });

  it("the words may be typed in any case, spacing or line breaks, and with the sheet's numbers", () => {
    const messy = `  ${sheet.words.map((w, i) => `${i + 1}. ${i % 3 === 0 ? w.toUpperCase() : w}`).join("\t\n \u00a0")}\n`; // tabs, line breaks, a no-break space: as a pasted sheet might have
    expect(toHex(scalarFromWords(messy))).toBe(sheet.d);
  });
});

describe("the recovery sheet: what a reader refuses", () => {
  it("two words swapped fail the checksum, with a sentence that says so", () => {
    const swapped = [...sheet.words];
    [swapped[0], swapped[1]] = [sheet.words[1] ?? "", sheet.words[0] ?? ""];
    expect(() => scalarFromWords(typed(swapped))).toThrow("the words do not check out: one is wrong or two are swapped");
  });

  it("one wrong word (another word of the list) fails the checksum", () => {
    const wrong = [...sheet.words];
    const at = wordlist.indexOf(sheet.words[23] ?? "");
    wrong[23] = wordlist[(at + 1) % 2048] ?? "";
    expect(() => scalarFromWords(typed(wrong))).toThrow(/do not check out/);
  });

  it("an unknown word is named, with its place", () => {
    const misspelt = [...sheet.words];
    misspelt[4] = "laugth";
    expect(() => scalarFromWords(typed(misspelt))).toThrow(/word 5, “laugth”, is not a word of the recovery sheet/);
  });

  it("too few or too many words are counted", () => {
    expect(() => scalarFromWords(typed(sheet.words.slice(0, 23)))).toThrow(/24 words; 23 were typed/);
    expect(() => scalarFromWords(typed([...sheet.words, "abandon"]))).toThrow(/24 words; 25 were typed/);
    expect(() => scalarFromWords(typed(bip39Words(new Uint8Array(16).fill(1))))).toThrow(/24 words; 12 were typed/);
  });

  it("words that check out but are not a private scalar (0, n or above) are refused", () => {
    for (const n of [0n, N, N + 1n, (1n << 256n) - 1n]) {
      const words = bip39Words(scalar(n));
      expect(() => scalarFromWords(typed(words)), n.toString(16)).toThrow(/not a records key/);
      expect(() => sheetWords(scalar(n))).toThrow(/private scalar/);
    }
    expect(toHex(scalarFromWords(typed(sheetWords(scalar(N - 1n)))))).toBe(toHex(scalar(N - 1n)));
  });

  it("words for another records key are refused against the key on record", async () => {
    const other = sheetWords(newRecordsScalar());
    await expect(openRecordsSheet(typed(other), fromHex(sheet.spki))).rejects.toThrow(/for another records key \(fingerprint [0-9a-f ]+\)/);
  });
});

describe("new records keys", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("a new scalar is in range, and a draw at or above n is thrown away", () => {
    for (let i = 0; i < 20; i++) expect(isRecordsScalar(newRecordsScalar())).toBe(true);
    const draws = [scalar(N), scalar(0n), scalar(42n)];
    vi.spyOn(globalThis.crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const next = draws.shift();
      if (next && array instanceof Uint8Array) array.set(next);
      return array;
    });
    expect(toHex(newRecordsScalar())).toBe(toHex(scalar(42n)));
    expect(draws).toHaveLength(0);
  });

  it("a new records key: its words give it back, and its fingerprint is its SPKI's", async () => {
    const { key, words, fingerprint } = await newRecordsKey();
    expect(words).toHaveLength(SHEET_WORDS);
    expect(fingerprint).toBe(await recordsFingerprint(key.spki));
    expect(toHex((await openRecordsSheet(words.join("\n"), key.spki)).spki)).toBe(toHex(key.spki));
  });

  it("the fingerprint is the first 16 bytes of SHA-256(SPKI) in groups of 4, and only of an SPKI", async () => {
    const fp = await recordsFingerprint(fromHex(sheet.spki));
    expect(fp.replace(/ /g, "")).toBe(toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", fromHex(sheet.spki)))).slice(0, 32));
    await expect(recordsFingerprint(new Uint8Array(90))).rejects.toThrow(/91 bytes/);
  });
});
