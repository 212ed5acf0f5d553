// QLrn: integer LRN on int8 by lookup tables: window sum of squares, a log-spaced index, log-domain gain, exp table.
import { type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, needT } from './util.js';
import { needInt } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/**
 * `mant`: mantissa bits of the index of the window sum s (docs/numerics.md, LRN); `pow[idx]`: log2 of the gain
 * (with the output rescale) at `logFrac` fractional bits; `log[a - 1]` = log2(a) at `logFrac` bits for a = 1..128;
 * `exp[t - expMin]`: 2^(t / 2^logFrac) rounded and capped at 127, for t = expMin..expMin + exp.length - 1.
 */
export type QLrnAttrs = { size: number; mant: number; logFrac: number; pow: readonly number[]; log: readonly number[]; exp: readonly number[]; expMin: number };

/** Index of window sum s >= 0: s itself below 2^mant, else (e - mant + 1) * 2^mant + the mant bits after the top bit e. */
export function lrnIndex(s: number, mant: number): number {
  const M = 2 ** mant;
  if (s < M) return s;
  let t = s;
  let e = mant;
  while (t >= 2 * M) { t = Math.floor(t / 2); e++; }
  return (e - mant + 1) * M + (t - M);
}

/** The window sums [lo, hi] that map to index idx (the inverse of lrnIndex, for building the pow table). */
export function lrnBucket(idx: number, mant: number): [number, number] {
  const M = 2 ** mant;
  if (idx < M) return [idx, idx];
  const e = Math.floor(idx / M) + mant - 1;
  const lo = (M + (idx % M)) * 2 ** (e - mant);
  return [lo, lo + 2 ** (e - mant) - 1];
}

/** Window sums fit int32 and every index has a pow entry. */
export function lrnIndexCount(size: number, mant: number): number {
  return lrnIndex(size * 128 * 128, mant) + 1;
}

function inferQLrn(a: QLrnAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = needInt(inputs, 0, ['int8'], 'QLrn input', where);
  checkAttr(x.shape.length >= 2, `input rank ${x.shape.length} must be >= 2 (N, C, ...)`, where);
  checkAttr(Number.isInteger(a.size) && a.size >= 1 && a.size <= 4096, `size ${a.size} must be in 1..4096`, where);
  checkAttr(Number.isInteger(a.mant) && a.mant >= 1 && a.mant <= 12, `mant ${a.mant} must be in 1..12`, where);
  checkAttr(a.pow.length === lrnIndexCount(a.size, a.mant), `pow must have ${lrnIndexCount(a.size, a.mant)} entries (got ${a.pow.length})`, where);
  checkAttr(a.log.length === 128 && a.exp.length >= 1 && a.exp.every((v) => Number.isInteger(v) && v >= 0 && v <= 127), 'log needs 128 entries, exp entries in 0..127', where);
  const ints = [...a.pow, ...a.log, a.expMin];
  checkAttr(ints.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 30), 'pow, log and expMin must be integers below 2^30', where);
  return [{ dtype: 'int8', shape: [...x.shape] }];
}

function runQLrn(a: QLrnAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  inferQLrn(a, inputs, 'kernel');
  const [N, C] = x.shape as [number, number];
  const S = x.data.length / (N * C);
  // ONNX window: floor((size-1)/2) channels before, ceil((size-1)/2) after.
  const before = Math.floor((a.size - 1) / 2);
  const after = Math.ceil((a.size - 1) / 2);
  const xd = x.data;
  const out = new Int8Array(xd.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const c0 = Math.max(0, c - before);
      const c1 = Math.min(C - 1, c + after);
      for (let i = 0; i < S; i++) {
        let s = 0;
        for (let j = c0; j <= c1; j++) { const v = xd[(n * C + j) * S + i]!; s += v * v; }
        const q = xd[(n * C + c) * S + i]!;
        if (q === 0) continue;
        const k = a.log[Math.abs(q) - 1]! + a.pow[lrnIndex(s, a.mant)]! - a.expMin;
        const y = k < 0 ? 0 : k >= a.exp.length ? 127 : a.exp[k]!;
        out[(n * C + c) * S + i] = q < 0 ? -y : y;
      }
    }
  }
  return [{ dtype: 'int8', shape: [...x.shape], data: out }];
}

export const qLrnOp = defineOp<QLrnAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferQLrn,
  run: runQLrn,
  batch: firstStacked,
});
