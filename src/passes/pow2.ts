// Exact power-of-two helpers for the weight encoders: the same results as 2 ** t and round(log2(x)), cheaper.

const MIN_EXP = -1074;
/** 2^t for every t a finite double can hold, as a table (2 ** t is a pow call). */
const TABLE = Float64Array.from({ length: 1023 - MIN_EXP + 1 }, (_, i) => 2 ** (i + MIN_EXP));

/** Exactly 2 ** t for integer t (table lookup inside the double range). */
export function pow2(t: number): number {
  return t >= MIN_EXP && t <= 1023 ? TABLE[t - MIN_EXP]! : 2 ** t;
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Index of the word holding sign and exponent (platform byte order). */
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * Math.round(Math.log2(x)) for x > 0. From the exponent bits x = m * 2^k with m in [1, 2); the answer is k
 * below m = sqrt(2) and k + 1 above. Within 1e-7 of sqrt(2) (and for subnormals, infinities, NaN) it asks
 * Math.log2 itself, so its own rounding decides exactly as before: log2's error is far below that margin.
 */
export function roundLog2(x: number): number {
  bits[0] = x;
  const hi = words[HI]!;
  const e = (hi >>> 20) & 0x7ff;
  if (e === 0 || e === 0x7ff) return Math.round(Math.log2(x));
  words[HI] = (hi & 0x800fffff) | 0x3ff00000;
  const m = bits[0]!;
  if (m < 1.4142135) return e - 1023;
  if (m > 1.4142137) return e - 1022;
  return Math.round(Math.log2(x));
}
