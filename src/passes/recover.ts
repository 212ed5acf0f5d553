// Label-free recovery for one weight layer: exponent search on output error, error-aware rounding, bias refit.
import type { Node } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { codebook, floorIndex, writeCodes, type Codebook } from './codebook.js';
import { convPatches, denseRows, gram, targets, type LayerStats, type Patches } from './layer-stats.js';
import type { LowerContext } from './lower-to-shift.js';
import type { WeightMatrix } from './lower-weights.js';
import type { TermCurve } from './allocate-terms.js';
import { greedyLogRow, maxExponent, quantizeGain, type RowCodes } from './shift-layer.js';

const PASSES = 4;
const LAMBDAS = [0, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
const LAMBDA_ROWS = 16;

/** Output-error objective of a row: wq^T H wq - 2 wq^T t + lambda * s * |wq - w|^2 (constant terms dropped). */
function objective(wq: Float64Array, w: Float64Array, H: Float64Array, t: Float64Array, reg: number): number {
  const D = wq.length;
  let f = 0;
  for (let i = 0; i < D; i++) {
    const a = wq[i]!;
    if (a !== 0) {
      let hi = 0;
      for (let j = 0; j < D; j++) hi += H[i * D + j]! * wq[j]!;
      f += a * hi - 2 * a * t[i]!;
    }
    const e = a - w[i]!;
    f += reg * e * e;
  }
  return f;
}

/**
 * Coordinate descent over {0, the two representable neighbours of w_i, current} per weight, keeping the
 * gradient g = H wq - t current with one column update per accepted change (O(D) each).
 */
function descend(w: Float64Array, E: number, book: Codebook, st: LayerStats, t: Float64Array, reg: number, start: RowCodes, mu: number): RowCodes {
  const D = w.length;
  const { H } = st;
  const scale = 2 ** E;
  const wq = start.wq.slice();
  const idx = new Int32Array(D);
  for (let i = 0; i < D; i++) idx[i] = floorIndex(book, Math.abs(wq[i]!) / scale);
  const g = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = -t[i]!;
    for (let j = 0; j < D; j++) s += H[i * D + j]! * wq[j]!;
    g[i] = s;
  }
  const cand = new Int32Array(6);
  const one = book.K > 1 && mu > 0 ? codebook(1, book.B) : undefined;
  for (let pass = 0; pass < PASSES; pass++) {
    let changed = 0;
    for (let i = 0; i < D; i++) {
      const wi = w[i]!;
      // Exact zeros are pruned weights (or true zeros): they stay without a term.
      if (wi === 0) continue;
      const sign = wi < 0 ? -1 : 1;
      const lo = floorIndex(book, Math.abs(wi) / scale);
      cand[0] = 0; cand[1] = lo; cand[2] = Math.min(lo + 1, book.values.length - 1); cand[3] = idx[i]!;
      // With a term price (--avg-terms), also offer the cheaper one-term neighbours.
      let nc = 4;
      if (one) {
        const lo1 = floorIndex(one, Math.abs(wi) / scale);
        cand[nc++] = floorIndex(book, one.values[lo1]!);
        cand[nc++] = floorIndex(book, one.values[Math.min(lo1 + 1, one.values.length - 1)]!);
      }
      const cur = wq[i]!;
      const hii = H[i * D + i]!;
      let best = 0;
      let bestIdx = idx[i]!;
      const curTerms = book.termCount[idx[i]!]!;
      for (let c = 0; c < nc; c++) {
        const v = sign * book.values[cand[c]!]! * scale;
        const d = v - cur;
        if (d === 0) continue;
        const delta = 2 * d * g[i]! + d * d * hii + reg * ((v - wi) ** 2 - (cur - wi) ** 2) + mu * (book.termCount[cand[c]!]! - curTerms);
        if (delta < best - 1e-15) { best = delta; bestIdx = cand[c]!; }
      }
      if (bestIdx === idx[i]) continue;
      const v = sign * book.values[bestIdx]! * scale;
      const d = v - cur;
      for (let j = 0; j < D; j++) g[j] += d * H[j * D + i]!;
      wq[i] = v;
      idx[i] = bestIdx;
      changed++;
    }
    if (!changed) break;
  }
  const K = book.K;
  const codes = new Int8Array(D * K);
  for (let i = 0; i < D; i++) writeCodes(book, idx[i]!, wq[i]! < 0, codes, i * K);
  return { E, codes, wq, biasDelta: 0 };
}

/** Quantises one row: exponent chosen on output error, then error-aware rounding and the bias refit. */
export function recoverRow(w: Float64Array, st: LayerStats, t: Float64Array, K: number, B: number, lambda: number, mu = 0, gain = false): RowCodes {
  const D = w.length;
  let trace = 0;
  for (let i = 0; i < D; i++) trace += st.H[i * D + i]!;
  const reg = lambda * (trace / D);
  const E0 = maxExponent(w);
  let best: RowCodes | undefined;
  let bestErr = Infinity;
  for (let E = E0 - 2; E <= E0 + 1; E++) {
    const start = greedyLogRow(w, E, K, B);
    const err = objective(start.wq, w, st.H, t, reg);
    if (err < bestErr) { bestErr = err; best = start; }
  }
  const book = codebook(K, B);
  let row = descend(w, best!.E, book, st, t, reg, best!, mu);
  if (gain) row = fitGain(row, w, book, st, t, reg, mu);
  const g = row.gain?.value ?? 1;
  let delta = 0;
  for (let i = 0; i < D; i++) delta += w[i]! * st.meanF[i]! - g * row.wq[i]! * st.meanQ[i]!;
  row.biasDelta = delta;
  return row;
}

const GAIN_ROUNDS = 3;

/**
 * Alternates the channel gain (least squares for fixed codes, then its shift-add digits) and error-aware
 * rounding for that gain: ||g Wq x - W x|| = g ||Wq x - (W / g) x||, so the codes are refitted to w / g with
 * targets t / g. A round is kept only if the row's output error drops.
 */
function fitGain(start: RowCodes, w: Float64Array, book: Codebook, st: LayerStats, t: Float64Array, reg: number, mu: number): RowCodes {
  const D = w.length;
  let best = start;
  let bestErr = objective(start.wq, w, st.H, t, reg) + mu * termsOf(start);
  let row = start;
  for (let round = 0; round < GAIN_ROUNDS; round++) {
    let qHq = 0;
    let qt = 0;
    for (let i = 0; i < D; i++) {
      const a = row.wq[i]!;
      if (a === 0) continue;
      let hi = 0;
      for (let j = 0; j < D; j++) hi += st.H[i * D + j]! * row.wq[j]!;
      qHq += a * hi;
      qt += a * t[i]!;
    }
    if (!(qHq > 0) || !(qt > 0)) break;
    const gain = quantizeGain(qt / qHq);
    const g = gain.value;
    const wg = w.map((v) => v / g);
    const next = descend(wg, row.E, book, st, t.map((v) => v / g), reg, row, mu / (g * g));
    next.gain = gain;
    const err = objective(next.wq.map((v) => v * g), w, st.H, t, reg) + mu * termsOf(next);
    if (!(err < bestErr - 1e-15 * Math.abs(bestErr))) break;
    best = next;
    bestErr = err;
    row = next;
  }
  return best;
}

function termsOf(r: RowCodes): number {
  let n = 0;
  for (let i = 0; i < r.codes.length; i++) if (r.codes[i]) n++;
  return n;
}

/** Output error of rows on held-out patch rows (for choosing lambda without labels). */
function heldOutError(p: Patches, rows: readonly Float64Array[], fit: readonly RowCodes[], from: number, to: number): number {
  const { D, xq, xf } = p;
  let err = 0;
  for (let r = from; r < to; r++) {
    for (let m = 0; m < rows.length; m++) {
      const g = fit[m]!.gain?.value ?? 1;
      let e = fit[m]!.biasDelta;
      for (let i = 0; i < D; i++) e += g * fit[m]!.wq[i]! * xq[r * D + i]! - rows[m]![i]! * xf[r * D + i]!;
      err += e * e;
    }
  }
  return err;
}

/** Few samples per weight (dense layers): pick the pull toward the float weights by 2-fold cross-validation. */
function chooseLambda(p: Patches, allRows: readonly Float64Array[], K: number, B: number): number {
  if (p.P >= 4 * p.D) return 0;
  // An evenly spread subset of rows is enough to pick one scalar and keeps this cheap for wide layers.
  const stride = Math.max(1, Math.floor(allRows.length / LAMBDA_ROWS));
  const rows = allRows.filter((_, m) => m % stride === 0).slice(0, LAMBDA_ROWS);
  const half = Math.floor(p.P / 2);
  const folds: [number, number, number, number][] = [[0, half, half, p.P], [half, p.P, 0, half]];
  // Fold statistics do not depend on lambda: compute them once.
  const fits = folds.map(([a, b]) => {
    const st = gram(p, true, a, b);
    return { st, ts: targets(p, rows, st, true, a, b) };
  });
  let best = 0;
  let bestErr = Infinity;
  for (const lambda of LAMBDAS) {
    let err = 0;
    folds.forEach(([, , c, d], f) => {
      const { st, ts } = fits[f]!;
      err += heldOutError(p, rows, rows.map((w, m) => recoverRow(w, st, ts[m]!, K, B, lambda)), c, d);
    });
    if (err < bestErr) { bestErr = err; best = lambda; }
  }
  return best;
}

function dequantized(ts: readonly Tensor[], frac: number): Tensor[] {
  const s = 2 ** -frac;
  return ts.map((t) => ({ dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as ArrayLike<number>, (v) => v * s) }));
}

/** What a layer's recovery is asked for: K, B, the channel gain, and a term budget or a probe of its curve. */
export interface TermSpec {
  K: number;
  B: number;
  gain?: boolean;
  /** Average terms per weight within the layer. */
  avgTerms?: number;
  /** Absolute term budget of the layer (from allocate-terms; overrides avgTerms). */
  budget?: number;
  /** Probe mode: report the layer's error-vs-terms curve (allocate-terms) instead of bisecting. */
  probe?: (curve: TermCurve) => void;
}

/** Term prices (log2, in units of `scale`) a probe samples, cheapest encodings last. */
const PROBE_PRICES = [-24, -18, -12, -8, -5, -2, 1, 4, 8, 12];

interface RowGroup { rows: Float64Array[]; st: LayerStats; ts: Float64Array[] }

/**
 * Samples the layer's (terms, relative output error) curve at PROBE_PRICES and returns the richest
 * encoding within `budget`, so the probe lowering continues on a network like the final one.
 */
function probeCurve(groups: readonly RowGroup[], free: RowCodes[], quantizeAll: (mu: number) => RowCodes[], scale: number, budget: number, report: (points: { terms: number; err: number }[]) => void): RowCodes[] {
  let energy = 0;
  for (const gr of groups) gr.rows.forEach((w) => { energy += quadratic(w, gr.st.H); });
  const err = (rows: readonly RowCodes[]) => {
    let e = 0;
    let k = 0;
    for (const gr of groups) {
      gr.rows.forEach((_, j) => {
        const r = rows[k++]!;
        const g = r.gain?.value ?? 1;
        let qt = 0;
        for (let i = 0; i < r.wq.length; i++) qt += r.wq[i]! * gr.ts[j]![i]!;
        e += g * g * quadratic(r.wq, gr.st.H) - 2 * g * qt;
      });
    }
    return e / (energy || 1);
  };
  const points = [{ terms: countTerms(free), err: err(free) }];
  let pick = points[0]!.terms <= budget ? free : undefined;
  let last = free;
  for (const p of PROBE_PRICES) {
    last = quantizeAll(scale * 2 ** p);
    const terms = countTerms(last);
    points.push({ terms, err: err(last) });
    if (!pick && terms <= budget) pick = last;
  }
  report(points);
  return pick ?? last;
}

/** v^T H v. */
function quadratic(v: Float64Array, H: Float64Array): number {
  const D = v.length;
  let s = 0;
  for (let i = 0; i < D; i++) {
    if (v[i] === 0) continue;
    let h = 0;
    for (let j = 0; j < D; j++) h += H[i * D + j]! * v[j]!;
    s += v[i]! * h;
  }
  return s;
}

function countTerms(rows: readonly RowCodes[]): number {
  return rows.reduce((n, r) => n + termsOf(r), 0);
}

export function recoverRows(ctx: LowerContext, n: Node, mat: WeightMatrix, x: number, spec: TermSpec): RowCodes[] {
  const fl = ctx.floatActs(n.inputs[0]!);
  const qf = dequantized(ctx.intActs(x), ctx.fracOfNew(x));
  const M = mat.rows.length;
  const perGroup = M / mat.groups;
  // Statistics once per input group; rows are then quantised (possibly several times for the term budget).
  const groups = Array.from({ length: mat.groups }, (_, g) => {
    let p: Patches;
    if (n.op.kind === 'Conv') {
      const y = ctx.g.values[n.outputs[0]!]!.type.shape;
      p = convPatches(fl, qf, n.op.attrs, mat.groups, g, [y.length === 4 ? y[2]! : 1, y[y.length - 1]!]);
    } else {
      p = denseRows(fl, qf);
    }
    const rows = mat.rows.slice(g * perGroup, (g + 1) * perGroup);
    const lambda = n.op.kind === 'Conv' ? 0 : chooseLambda(p, rows, spec.K, spec.B);
    const st = gram(p, true);
    return { rows, lambda, st, ts: targets(p, rows, st, true) };
  });
  const quantizeAll = (mu: number): RowCodes[] => groups.flatMap((gr, g) => gr.rows.map((w, j) => {
    ctx.o.onProgress?.(`recover ${n.name}`, g * perGroup + j + 1, M);
    return recoverRow(w, gr.st, gr.ts[j]!, spec.K, spec.B, gr.lambda, mu, spec.gain);
  }));
  const free = quantizeAll(0);
  const weights = M * mat.rows[0]!.length;
  const budget = spec.budget ?? (spec.avgTerms === undefined ? Infinity : spec.avgTerms * weights);
  // Term price unit: mean input power times mean squared weight (the objective's scale for one term).
  let scale = 0;
  for (const gr of groups) for (let i = 0; i < gr.st.D; i++) scale += gr.st.H[i * gr.st.D + i]!;
  let w2 = 0;
  for (const r of mat.rows) for (const v of r) w2 += v * v;
  scale = (scale / (groups.length * groups[0]!.st.D)) * (w2 / weights) || 1;
  if (spec.probe) return probeCurve(groups, free, quantizeAll, scale, budget, (points) => spec.probe!({ node: n.name, weights, points }));
  if (countTerms(free) <= budget) return free;
  // Price terms (Lagrangian) and bisect the price until the layer meets its average-terms budget.
  let lo = -30;
  let hi = 12;
  let best = quantizeAll(scale * 2 ** hi);
  for (let it = 0; it < 14; it++) {
    const mid = (lo + hi) / 2;
    const rows = quantizeAll(scale * 2 ** mid);
    if (countTerms(rows) <= budget) { best = rows; hi = mid; } else lo = mid;
  }
  return best;
}
