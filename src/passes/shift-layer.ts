// Turns a float weight matrix (rows = output channels) into shift-add codes, int32 biases and per-channel shifts.
import { fail } from '../diagnostics.js';
import { gainBound } from '../ir/overflow.js';
import { greedyLogRowKernel } from '../accel/recover.js';
import { pow2, roundLog2 } from './pow2.js';

/** One quantised row: base exponent E, K codes per weight (docs/numerics.md), dequantised values, bias fix. */
export interface RowCodes {
  E: number;
  codes: Int8Array;
  /** Values of the codes (without the gain). */
  wq: Float64Array;
  biasDelta: number;
  /** Optional per-channel gain (shift-add digits, see quantizeGain); the row computes gain * wq . x. */
  gain?: Gain;
}

/** A channel gain: digit codes sign * (1 + j) meaning sign * 2^-j, and their value. */
export interface Gain {
  codes: Int8Array;
  value: number;
}

/** Digits per channel gain: three shift-adds per output element, a gain error below ~1%. */
export const GAIN_DIGITS = 3;

/**
 * Gain digits of a layer with at most K terms per weight: one more at K = 1, where one term per weight leaves the
 * gain to carry most of a channel's precision (dwsep K=1: test logit SQNR +0.3 dB, top-1 agreement +0.5 points;
 * at K = 2 the fourth digit measured no better).
 */
export function gainDigits(K: number): number {
  return K === 1 ? GAIN_DIGITS + 1 : GAIN_DIGITS;
}
/** Largest gain digit shift j (digits sign * 2^-j, docs/numerics.md). */
export const GAIN_MAX_SHIFT = 15;

/** Greedy signed digits sign * 2^-j (j in [0, 15]) of x, each the power of two nearest the residual; codes sign * (1 + j). */
export function greedyGain(x: number, digits: number): { codes: number[]; value: number } {
  const codes = new Array<number>(digits).fill(0);
  let r = x;
  let value = 0;
  for (let k = 0; k < digits && Math.abs(r) >= 2 ** -(GAIN_MAX_SHIFT + 1); k++) {
    const m = Math.abs(r);
    const lo = Math.min(GAIN_MAX_SHIFT, Math.max(0, Math.floor(-Math.log2(m))));
    const j = lo > 0 && Math.abs(m - 2 ** -(lo - 1)) < Math.abs(m - 2 ** -lo) ? lo - 1 : lo;
    const s = r < 0 ? -1 : 1;
    codes[k] = s * (1 + j);
    value += s * 2 ** -j;
    r -= s * 2 ** -j;
  }
  return { codes, value };
}

/**
 * The gain digits of a shift layer's channel, for a gain in (0, 2) (clamped to [0.5, 1.875]): greedyGain. A gain of
 * exactly 1 is the single digit +1 (the identity).
 */
export function quantizeGain(x: number, digits = GAIN_DIGITS): Gain {
  const { codes, value } = greedyGain(Math.min(1.875, Math.max(0.5, x)), digits);
  return { codes: Int8Array.from(codes), value };
}

export interface EncodedLayer {
  codes: Int8Array;
  bias: Int32Array;
  rshift: Int32Array;
  /** Per-channel gain digits [M, G] (G = gainDigits(K)), or undefined when no row has a gain. */
  gain?: Int8Array;
}

export interface LayerParams {
  M: number;
  D: number;
  K: number;
  B: number;
  bits: number;
  fracIn: number;
  fracOut: number;
  /** Extra fractional bits of each output channel (per-channel fracs), added to fracOut. */
  outOffsets?: readonly number[];
}

/** Greedy log-domain encoding: each term is the power of two nearest the residual in log2 (the K=1 rule). */
export function greedyLogRow(w: Float64Array, E: number, K: number, B: number): RowCodes {
  const k = greedyLogRowKernel(w, E, K, B);
  // Every RowCodes is created with all its fields (one object shape keeps the hot loops monomorphic).
  if (k) return { E, codes: k.codes, wq: k.wq, biasDelta: 0, gain: undefined };
  const D = w.length;
  const span = 2 ** B - 1;
  const tMin = E - span;
  const codes = new Int8Array(D * K);
  const wq = new Float64Array(D);
  const half = pow2(tMin - 1);
  for (let i = 0; i < D; i++) {
    let r = w[i]!;
    for (let k = 0; k < K && r !== 0; k++) {
      const mag = Math.abs(r);
      // Between zero and the smallest power there is no log midpoint: round linearly (half of 2^tMin).
      if (mag < half) break;
      const t = Math.min(E, Math.max(tMin, roundLog2(mag)));
      const term = Math.sign(r) * pow2(t);
      codes[i * K + k] = Math.sign(r) * (1 + t - tMin);
      wq[i] += term;
      r -= term;
    }
  }
  // Every RowCodes is created with all its fields (one object shape keeps the hot loops monomorphic).
  return { E, codes, wq, biasDelta: 0, gain: undefined };
}

/** Base exponent that represents the row's largest magnitude by log-nearest rounding. */
export function maxExponent(w: Float64Array): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]!));
  return m === 0 ? 0 : Math.round(Math.log2(m));
}

const INT32_MAX = 2 ** 31 - 1;

/** 2^sh for every shift a code can hold (|code| - 1 <= 126). */
const POW2 = Float64Array.from({ length: 128 }, (_, i) => 2 ** i);

/**
 * Worst accumulator |b| + sum over terms of xMax * 2^sh after dropping the `trim` lowest shifts, from the row's
 * count of terms per |code|. The terms are powers of two: any order sums them exactly below 2^53, and above it
 * every order lands far beyond INT32_MAX, so the checks decide as the term-by-term sum in code order would.
 */
function worstAcc(count: Float64Array, b: number, xMax: number, trim: number): number {
  let acc = Math.abs(b);
  for (let a = trim + 1; a < count.length; a++) if (count[a]) acc += count[a]! * xMax * POW2[a - 1 - trim]!;
  return acc;
}

/**
 * Assembles the layer: per channel F_c = fracIn - (E_c - (2^B - 1)) accumulator bits, bias in that scale,
 * r_c = F_c - fracOut (- the channel's offset). If a channel's worst case could overflow int32 its window is trimmed from the bottom
 * (dropping the smallest terms) until the bound holds; if it still cannot hold the layer is rejected.
 */
export function assembleLayer(rows: readonly RowCodes[], bias: Float64Array, p: LayerParams, where: string): EncodedLayer {
  const { M, D, K, B, bits, fracIn, fracOut } = p;
  const span = 2 ** B - 1;
  const codes = new Int8Array(M * D * K);
  const ib = new Int32Array(M);
  const rs = new Int32Array(M);
  const xMax = 2 ** (bits - 1);
  const count = new Float64Array(128);
  // Rows without a gain get the identity digit +1 once any row of the layer has one.
  let gain: Int8Array | undefined;
  for (let m = 0; m < M; m++) {
    const row = rows[m]!;
    const rc = row.codes;
    count.fill(0);
    for (let j = 0; j < rc.length; j++) { const c = rc[j]!; if (c) count[c < 0 ? -c : c]++; }
    let trim = 0;
    for (;;) {
      const F = fracIn - (row.E - span) - trim;
      const r = F - fracOut - (p.outOffsets?.[m] ?? 0);
      // The bias lives in the accumulator, before the gain scales it.
      const b = Math.round(((bias[m]! + row.biasDelta) / (row.gain?.value ?? 1)) * 2 ** F);
      const acc = worstAcc(count, b, xMax, trim);
      const bound = (row.gain ? gainBound(acc, row.gain.codes, 0, row.gain.codes.length) : acc) + (r > 0 ? 2 ** (r - 1) : 0);
      if (acc <= INT32_MAX && bound <= INT32_MAX && r <= 31 && r >= -31) {
        ib[m] = b;
        rs[m] = r;
        break;
      }
      if (trim >= span) fail('SAC050', `channel ${m} cannot be proven free of int32 overflow (bound ${bound}, shift ${r})`, where);
      trim++;
    }
    // Drop the `trim` lowest shifts of the window and move the rest down (codes are sign * (1 + sh)).
    const c = codes.subarray(m * D * K, (m + 1) * D * K);
    if (trim === 0) c.set(rc);
    else for (let j = 0; j < rc.length; j++) { const a = rc[j]!; c[j] = a > trim ? a - trim : a < -trim ? a + trim : 0; }
    if (row.gain) {
      const G = row.gain.codes.length;
      gain ??= Int8Array.from({ length: M * G }, (_, i) => (i % G === 0 ? 1 : 0));
      gain.set(row.gain.codes, m * G);
    }
  }
  return { codes, bias: ib, rshift: rs, ...(gain ? { gain } : {}) };
}
