// Error-aware rounding primitives of one weight row: the output-error objective and coordinate descent on codes.
import { codebook, floorIndex, writeCodes, type Codebook } from './codebook.js';
import { allRows, mulHOnSupport, mulHRows, quadraticFrom, support } from './h-products.js';
import { descendKernel, objectiveKernel } from '../accel/recover.js';
import type { LayerStats } from './layer-stats.js';
import type { RowCodes } from './shift-layer.js';

/** Coordinate-descent sweeps over a row. */
export const PASSES = 4;

/** Output-error objective of a row: wq^T H wq - 2 wq^T t + lambda * s * |wq - w|^2 (constant terms dropped). */
export function objective(wq: Float64Array, hw: Float64Array, w: Float64Array, t: Float64Array, reg: number): number {
  const D = wq.length;
  let f = 0;
  for (let i = 0; i < D; i++) {
    const a = wq[i]!;
    if (a !== 0) f += a * hw[i]! - 2 * a * t[i]!;
    const e = a - w[i]!;
    f += reg * e * e;
  }
  return f;
}

/** [objective(v, H v, ...), v^T H v]: the compiled kernel where available (H v as mulHOnSupport sums it). */
export function objectiveH(H: Float64Array, v: Float64Array, w: Float64Array, t: Float64Array, reg: number): [number, number] {
  const k = objectiveKernel(H, v, w, t, reg);
  if (k) return k;
  const hv = mulHOnSupport(H, v);
  return [objective(v, hv, w, t, reg), quadraticFrom(v, hv)];
}

/** v^T H v. */
export function quadratic(v: Float64Array, H: Float64Array): number {
  return quadraticFrom(v, mulHOnSupport(H, v));
}

/**
 * Coordinate descent over {0, the two representable neighbours of w_i, current} per weight, keeping the
 * gradient g = H wq - t current with one row update per accepted change (O(D) each).
 */
export function descend(w: Float64Array, E: number, book: Codebook, st: LayerStats, t: Float64Array, reg: number, start: RowCodes, mu: number, grad?: Float64Array): RowCodes {
  const scale = 2 ** E;
  const one = oneTerm(book, mu);
  const { wq, index } = descendKernel(st.H, w, start.wq, t, grad, book, one, scale, reg, mu, PASSES) ?? descendRows(w, scale, book, one, st, t, reg, start, mu, grad);
  return rowOf(E, book, wq, index);
}

/** With a term price (--avg-terms), descend also offers the cheaper one-term neighbours. */
export function oneTerm(book: Codebook, mu: number): Codebook | undefined {
  return book.K > 1 && mu > 0 ? codebook(1, book.B) : undefined;
}

/** The row of codebook indices `index` with values wq (their signs) at exponent E. */
export function rowOf(E: number, book: Codebook, wq: Float64Array, index: Int32Array): RowCodes {
  const D = wq.length;
  const K = book.K;
  const codes = new Int8Array(D * K);
  for (let i = 0; i < D; i++) writeCodes(book, index[i]!, wq[i]! < 0, codes, i * K);
  return { E, codes, wq, biasDelta: 0, gain: undefined };
}

/** descend's reference loops: the rounded row and each weight's codebook index. */
function descendRows(w: Float64Array, scale: number, book: Codebook, one: Codebook | undefined, st: LayerStats, t: Float64Array, reg: number, start: RowCodes, mu: number, grad?: Float64Array): { wq: Float64Array; index: Int32Array } {
  const D = w.length;
  const { H } = st;
  const wq = start.wq.slice();
  // g = H wq - t; zero entries of wq add nothing, so skipping them leaves the sums' bits unchanged.
  const g = new Float64Array(D);
  if (grad) g.set(grad);
  else mulHRows(H, wq, support(wq), allRows(D), g, t);
  // Per weight, nc candidate codebook indices: 0 (zero), its two representable neighbours, the current value (slot 3,
  // the only one that changes) and with a term price two one-term neighbours; their signed values and term counts
  // are tabulated once per row.
  const nc = one ? 6 : 4;
  const cands = new Int32Array(D * nc);
  const vals = new Float64Array(D * nc);
  const terms = new Float64Array(D * nc);
  const { values, termCount } = book;
  for (let i = 0; i < D; i++) {
    const wi = w[i]!;
    const a = Math.abs(wi) / scale;
    const lo = floorIndex(book, a);
    const c0 = i * nc;
    cands[c0 + 1] = lo;
    cands[c0 + 2] = Math.min(lo + 1, values.length - 1);
    cands[c0 + 3] = floorIndex(book, Math.abs(wq[i]!) / scale);
    if (one) {
      const lo1 = floorIndex(one, a);
      cands[c0 + 4] = floorIndex(book, one.values[lo1]!);
      cands[c0 + 5] = floorIndex(book, one.values[Math.min(lo1 + 1, one.values.length - 1)]!);
    }
    const sign = wi < 0 ? -1 : 1;
    for (let c = c0; c < c0 + nc; c++) {
      vals[c] = sign * values[cands[c]!]! * scale;
      terms[c] = termCount[cands[c]!]!;
    }
  }
  for (let pass = 0; pass < PASSES; pass++) {
    let changed = 0;
    for (let i = 0; i < D; i++) {
      const wi = w[i]!;
      // Exact zeros are pruned weights (or true zeros): they stay without a term.
      if (wi === 0) continue;
      const c0 = i * nc;
      const cur = wq[i]!;
      const hii = H[i * D + i]!;
      const gi = g[i]!;
      const curReg = (cur - wi) ** 2;
      const curTerms = terms[c0 + 3]!;
      let best = 0;
      let bestC = -1;
      for (let c = c0; c < c0 + nc; c++) {
        const v = vals[c]!;
        const d = v - cur;
        if (d === 0) continue;
        const delta = 2 * d * gi + d * d * hii + reg * ((v - wi) ** 2 - curReg) + mu * (terms[c]! - curTerms);
        if (delta < best - 1e-15) { best = delta; bestC = c; }
      }
      if (bestC < 0 || cands[bestC] === cands[c0 + 3]) continue;
      const v = vals[bestC]!;
      const d = v - cur;
      // H is symmetric (gram() fills both halves with the same value): walk row i, not column i.
      const hr = i * D;
      for (let j = 0; j < D; j++) g[j] += d * H[hr + j]!;
      wq[i] = v;
      cands[c0 + 3] = cands[bestC]!;
      vals[c0 + 3] = v;
      terms[c0 + 3] = terms[bestC]!;
      changed++;
    }
    if (!changed) break;
  }
  return { wq, index: Int32Array.from({ length: D }, (_, i) => cands[i * nc + 3]!) };
}

/**
 * Quantises one row: exponent chosen on output error, then error-aware rounding and the bias refit.
 * `cands` lets callers reuse the exponent candidates across lambdas (or fix the exponent with one start).
 */

export function termsOf(r: RowCodes): number {
  let n = 0;
  for (let i = 0; i < r.codes.length; i++) if (r.codes[i]) n++;
  return n;
}
