// Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with
// PURBs", PETS 2019): a length L ≥ 2 is rounded up to a multiple of 2^(E − S), where
// E = ⌊log2 L⌋ and S = ⌊log2 E⌋ + 1, so the padded length has at most S + 1 significant bits. It
// costs less than 2^−S of L (under 12 % for any L, under 6.25 % from 4 KiB, under 3.125 % from
// 64 KiB), and the padded length tells O(log log L) bits beyond L's order of magnitude. Documents
// use it (file-padding.ts, PROTOCOL §5).
import { ProtocolError } from "./subtle";

/** The number of bits of `n` (a positive safe integer): ⌊log2 n⌋ + 1, exactly, without floating-point logarithms. */
function bitLength(n: number): number {
  return n.toString(2).length;
}

/**
 * Padmé of `length`: `length` itself for 0 and 1, else `length` rounded up to a multiple of
 * 2^(E − S). Exact for every safe integer: the step is a power of two, so the division and the
 * product below are exact in floating point (the result is at most 2^53).
 */
export function padme(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new ProtocolError("a length must be a non-negative safe integer");
  if (length < 2) return length;
  const e = bitLength(length) - 1;
  const s = bitLength(e);
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}
