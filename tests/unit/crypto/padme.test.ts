// Padmé (lib/crypto/padme.ts) and the document padding built on it (lib/crypto/file-padding.ts,
// PROTOCOL §5). The table was computed apart from lib/crypto, with the paper's algorithm written
// out in Python on exact integers (Nikitin et al., PETS 2019):
//   E = L.bit_length() - 1; S = E.bit_length(); mask = (1 << (E - S)) - 1; padded = (L + mask) & ~mask
// and the same algorithm, in BigInt, checks a sweep of lengths here. Then the properties the paper
// claims: never shorter, less than 12 % longer, at most S + 1 significant bits.
import { describe, expect, it } from "vitest";
import { MIN_PADDED_FILE_BYTES, padme, paddedFileSize, ProtocolError } from "@/lib/crypto";

const MiB = 1024 * 1024;
const MAX_FILE_BYTES = 2 * 1024 * MiB; // the default of MAX_FILE_BYTES (lib/server/env.ts)

/** [L, padme(L), paddedFileSize(L)] */
const TABLE: [number, number, number][] = [
  [0, 0, 4096],
  [1, 1, 4096],
  [2, 2, 4096],
  [3, 3, 4096],
  [4, 4, 4096],
  [5, 5, 4096],
  [7, 7, 4096],
  [8, 8, 4096],
  [9, 10, 4096],
  [15, 16, 4096],
  [16, 16, 4096],
  [17, 18, 4096],
  [100, 104, 4096],
  [129, 144, 4096],
  [255, 256, 4096],
  [256, 256, 4096],
  [257, 272, 4096],
  [1000, 1024, 4096],
  [1025, 1088, 4096],
  [2049, 2176, 4096],
  [4095, 4096, 4096],
  [4096, 4096, 4096],
  [4097, 4352, 4352],
  [4353, 4608, 4608],
  [8191, 8192, 8192],
  [65535, 65536, 65536],
  [65536, 65536, 65536],
  [65537, 67584, 67584],
  [1_000_000, 1_015_808, 1_015_808],
  [20 * MiB, 20 * MiB, 20 * MiB],
  [20 * MiB + 12_345, 21_495_808, 21_495_808],
  [MAX_FILE_BYTES - 1, MAX_FILE_BYTES, MAX_FILE_BYTES],
  [MAX_FILE_BYTES, MAX_FILE_BYTES, MAX_FILE_BYTES],
  [MAX_FILE_BYTES + 1, 2_214_592_512, 2_214_592_512],
  [Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 53],
];

/** The paper's algorithm on BigInts, bit for bit. */
function reference(length: number): number {
  const l = BigInt(length);
  if (l < 2n) return length;
  const e = BigInt(l.toString(2).length - 1);
  const s = BigInt(e.toString(2).length);
  const mask = (1n << (e - s)) - 1n;
  return Number((l + mask) & ~mask);
}

const significantBits = (n: number) => {
  const bits = n.toString(2);
  return bits.replace(/0+$/, "").length;
};

describe("padme", () => {
  it("gives the table's lengths, and the document padding raises them to at least 4 KiB", () => {
    for (const [l, padded, file] of TABLE) {
      expect(padme(l), `padme(${l})`).toBe(padded);
      expect(paddedFileSize(l), `paddedFileSize(${l})`).toBe(file);
    }
    expect(MIN_PADDED_FILE_BYTES).toBe(4096);
  });

  it("agrees with the paper's algorithm on every length up to 70 000 and on random lengths up to 2^53", () => {
    const random = Array.from({ length: 2000 }, () => Math.floor(Math.random() * 2 ** (1 + Math.random() * 52)));
    const lengths = [...Array.from({ length: 70_001 }, (_, l) => l), ...random];
    expect(lengths.filter((l) => padme(l) !== reference(l))).toEqual([]);
  });

  it("never shortens, costs under 12 % (6.25 % from 4 KiB, 3.125 % from 64 KiB), and keeps at most S + 1 significant bits", () => {
    const lengths = [...Array.from({ length: 20_000 }, (_, i) => i + 2), ...Array.from({ length: 2000 }, () => 2 + Math.floor(Math.random() * MAX_FILE_BYTES))];
    const broken = lengths.filter((l) => {
      const p = padme(l);
      const s = (l.toString(2).length - 1).toString(2).length;
      const cost = p - l;
      return p < l || cost >= 0.12 * l || (l >= 4096 && cost >= l / 16) || (l >= 65536 && cost >= l / 32) || significantBits(p) > s + 1 || padme(p) !== p;
    });
    expect(broken).toEqual([]);
    expect(Math.max(...lengths.map((l) => (padme(l) - l) / l))).toBeCloseTo(15 / 129, 6); // the worst case: 129 → 144
  });

  it("is monotone, so no document at most MAX_FILE_BYTES pads beyond padme(MAX_FILE_BYTES)", () => {
    const lengths = [...Array.from({ length: 70_001 }, (_, l) => l), ...Array.from({ length: 2000 }, () => Math.floor(Math.random() * MAX_FILE_BYTES))].sort((a, b) => a - b);
    expect(lengths.filter((l, i) => i > 0 && paddedFileSize(l) < paddedFileSize(lengths[i - 1] ?? 0))).toEqual([]);
    expect(paddedFileSize(MAX_FILE_BYTES - 12_345)).toBeLessThanOrEqual(paddedFileSize(MAX_FILE_BYTES));
  });

  it("tells few sizes apart: 16 padded sizes from 4 KiB to 8 KiB, 32 from 64 KiB to 128 KiB", () => {
    const between = (from: number, to: number) => {
      const sizes = new Set<number>();
      for (let l = from; l < to; l++) sizes.add(paddedFileSize(l));
      return sizes.size;
    };
    expect(between(0, 4097)).toBe(1);
    expect(between(4097, 8193)).toBe(16);
    expect(between(65537, 131073)).toBe(32);
  });

  it("refuses lengths that are not non-negative safe integers", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => padme(bad)).toThrow(ProtocolError);
      expect(() => paddedFileSize(bad)).toThrow(ProtocolError);
    }
  });
});
