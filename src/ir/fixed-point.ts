// Fixed-point primitives of docs/numerics.md: the single implementation every integer kernel calls.

/** Largest value of a signed `bits`-wide integer (bits <= 31). */
export function satMax(bits: number): number {
  return (1 << (bits - 1)) - 1;
}

/** Smallest value of a signed `bits`-wide integer (bits <= 31). */
export function satMin(bits: number): number {
  return -(1 << (bits - 1));
}

/** Clamps to the signed `bits`-wide range; NaN (only reachable from float helpers) maps to 0. */
export function sat(v: number, bits: number): number {
  const hi = (1 << (bits - 1)) - 1;
  const lo = -hi - 1;
  if (v > hi) return hi;
  if (v < lo) return lo;
  return v === v ? v : 0;
}

/**
 * Left shift with int32 wrap-around: identical to C's `(int32_t)((uint32_t)v << s)`. The overflow
 * analysis (overflow.ts) guarantees no wrap happens in a compiled graph; JS masks `s` to 5 bits.
 */
export function shl(v: number, s: number): number {
  return v << s;
}

/** Rounding arithmetic right shift, round half up; `r = 0` is the identity and `r < 0` is `shl(v, -r)`. */
export function rshr(v: number, r: number): number {
  if (r > 0) return (v + (1 << (r - 1))) >> r;
  if (r === 0) return v | 0;
  return v << -r;
}

/**
 * The only narrowing: `sat(rshr(v, r), bits)`. For `r < 0` the value is saturated first and shifted by at
 * most `bits`, which equals `sat(v * 2^-r, bits)` exactly but can never wrap (see docs/numerics.md).
 */
export function requant(v: number, r: number, bits: number): number {
  if (r >= 0) return sat(rshr(v, r), bits);
  const s = -r < bits ? -r : bits;
  return sat(sat(v, bits) << s, bits);
}

/** Default number of fractional CSD digits (the doc's D for int8 operands). */
export const CSD_FRAC_DIGITS = 16;

/** The doc's D for average pooling: 16 for int8 inputs, 14 for int16 (16 would overflow int32, e.g. N = 11). */
export function csdFracDigits(inBits: number): number {
  return inBits > 8 ? 14 : CSD_FRAC_DIGITS;
}

/**
 * Canonical signed digits (non-adjacent form) of `round(x * 2^fracDigits)` (round half up), |x| <= 1.
 * `digits[j]` in {-1, 0, 1} is the coefficient of 2^-j, j = 0..fracDigits. Compile-time only (uses float).
 */
export function csdDigits(x: number, fracDigits = CSD_FRAC_DIGITS): Int8Array {
  if (!Number.isInteger(fracDigits) || fracDigits < 0 || fracDigits > 30) throw new Error(`csdDigits: fracDigits ${fracDigits} out of [0, 30]`);
  const one = 2 ** fracDigits;
  let n = Math.floor(x * one + 0.5);
  if (!(Math.abs(n) <= one)) throw new Error(`csdDigits: |${x}| exceeds 1`);
  const digits = new Int8Array(fracDigits + 1);
  // NAF: a non-zero digit is chosen so the remaining value is divisible by 4, forcing the next digit to 0.
  for (let i = 0; n !== 0; i++) {
    let d = 0;
    if (n % 2 !== 0) {
      const m4 = ((n % 4) + 4) % 4;
      d = m4 === 1 ? 1 : -1;
      n -= d;
    }
    digits[fracDigits - i] = d;
    n /= 2;
  }
  return digits;
}

/**
 * Exact shift-add product `sum_j d_j * shl(s, D - j)` with D = digits.length - 1, i.e. s * value(digits)
 * carrying D extra fractional bits. Int32 arithmetic; the caller proves it fits (overflow.ts).
 */
export function csdApply(s: number, digits: Int8Array): number {
  const D = digits.length - 1;
  let acc = 0;
  for (let j = 0; j <= D; j++) {
    const d = digits[j]!;
    if (d > 0) acc = (acc + (s << (D - j))) | 0;
    else if (d < 0) acc = (acc - (s << (D - j))) | 0;
  }
  return acc;
}

/**
 * 256-entry activation table indexed by `q + 128` for int8 input q:
 * `sat(floor(fn(q * 2^-fracIn) * 2^fracOut + 0.5), bits)` in float64 (compile time, like the io helpers).
 */
export function lutTable(fn: (x: number) => number, fracIn: number, fracOut: number, bits = 8): Int8Array {
  if (bits < 1 || bits > 8) throw new Error(`lutTable: bits ${bits} out of [1, 8]`);
  const t = new Int8Array(256);
  const inScale = 2 ** -fracIn;
  const outScale = 2 ** fracOut;
  for (let q = -128; q < 128; q++) t[q + 128] = sat(Math.floor(fn(q * inScale) * outScale + 0.5), bits);
  return t;
}

/** Signed width of an integer dtype, or 0 for dtypes that are not integer activations. */
export function intBits(dtype: string): number {
  switch (dtype) {
    case 'int8': return 8;
    case 'int16': return 16;
    case 'int32': return 32;
    default: return 0;
  }
}
