// Pair mode's building blocks: Sylvester Hadamard rows, power-of-two rounding with a per-row factor, conv patches at sampled positions.
import type { Tensor } from '../ir/tensor.js';
import type { ConvAttrs } from '../ir/ops/conv.js';

/** Smallest power of two >= n (the intermediate width of a pair: Sylvester Hadamard matrices exist there). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Entry (i, j) of the Sylvester Hadamard matrix of any power-of-two order: (-1)^popcount(i & j). */
export function hadamard(i: number, j: number): number {
  let v = i & j;
  let s = 0;
  while (v) { s ^= v & 1; v >>>= 1; }
  return s ? -1 : 1;
}

/** Octaves below a row's largest weight that the exact power-of-two lowering still holds (2^5 - 1, lower-pow2.ts). */
const WINDOW = 31;
/** Candidate row factors f = 2^(j/16), j = 0..15, as float32 so f * 2^e is exact in the stored float32 weights. */
export const FACTORS = Array.from({ length: 16 }, (_, j) => Math.fround(2 ** (j / 16)));

/**
 * `v / f` rounded to a signed power of two at the arithmetic midpoint (1.5 * 2^e: the nearest value, not the nearest
 * exponent), times f; 0 stays 0 and values more than WINDOW octaves below 2^top read 0 (as lowering would drop them).
 */
export function roundPow2(v: number, f: number, top: number): number {
  if (v === 0) return 0;
  const a = Math.abs(v) / f;
  let e = Math.floor(Math.log2(a));
  if (a >= 1.5 * 2 ** e) e++;
  if (e < top - WINDOW) return 0;
  return Math.sign(v) * f * 2 ** e;
}

/** The exponent of a row's largest weight `max` over factor f (the top of its exponent window). */
export function topExponent(max: number, f: number): number {
  return Math.round(Math.log2(max / f));
}

/**
 * Projects each row of `s` (rows x D) onto {f_r * (+-2^e or 0)}: per row the factor from FACTORS with the least
 * squared error (or `given[r]`). Writes the projection into `out` and returns the factors.
 */
export function projectRows(s: Float64Array, rows: number, D: number, out: Float64Array, given?: Float64Array): Float64Array {
  const fs = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * D;
    let max = 0;
    for (let i = 0; i < D; i++) max = Math.max(max, Math.abs(s[o + i]!));
    if (max === 0) { out.fill(0, o, o + D); fs[r] = 1; continue; }
    let best = Infinity;
    let bestF = 1;
    // Given factors skip the search (16 roundings per weight): distillation refreshes them now and then.
    for (const f of given ? [given[r]!] : FACTORS) {
      const top = topExponent(max, f);
      let err = 0;
      for (let i = 0; i < D; i++) { const d = s[o + i]! - roundPow2(s[o + i]!, f, top); err += d * d; }
      if (err < best) { best = err; bestF = f; }
    }
    const top = topExponent(max, bestF);
    for (let i = 0; i < D; i++) out[o + i] = roundPow2(s[o + i]!, bestF, top);
    fs[r] = bestF;
  }
  return fs;
}

/** One sampled output position of a conv: sample, row, column. */
export interface Position { n: number; oh: number; ow: number }

/**
 * im2col rows (D = C * KH * KW each, in weight order) of a group-1 2-D conv at the given positions; `x` holds one
 * tensor per sample ([1, C, H, W]); padded taps read 0.
 */
export function patchesAt(x: readonly Tensor[], a: ConvAttrs, pos: readonly Position[]): Float64Array {
  const [, C, H, W] = x[0]!.shape as [number, number, number, number];
  const [KH, KW] = a.kernel as [number, number];
  const D = C * KH * KW;
  const out = new Float64Array(pos.length * D);
  pos.forEach((p, r) => {
    const xd = x[p.n]!.data;
    let o = r * D;
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        const h = p.oh * a.strides[0]! - a.pads[0]! + kh * a.dilations[0]!;
        for (let kw = 0; kw < KW; kw++, o++) {
          const w = p.ow * a.strides[1]! - a.pads[1]! + kw * a.dilations[1]!;
          out[o] = h >= 0 && h < H && w >= 0 && w < W ? xd[(c * H + h) * W + w]! : 0;
        }
      }
    }
  });
  return out;
}

/** Values of channel-major output tensors ([1, M, OH, OW] per sample) at the positions, as rows of M. */
export function outputsAt(y: readonly Tensor[], pos: readonly Position[]): Float64Array {
  const [, M, OH, OW] = y[0]!.shape as [number, number, number, number];
  const out = new Float64Array(pos.length * M);
  pos.forEach((p, r) => {
    const yd = y[p.n]!.data;
    for (let m = 0; m < M; m++) out[r * M + m] = yd[(m * OH + p.oh) * OW + p.ow]!;
  });
  return out;
}
