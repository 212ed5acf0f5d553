// Label-free recovery for one weight layer: exponent search on output error, error-aware rounding, bias refit.
import type { Node } from '../ir/graph.js';
import { codebook, floorIndex, writeCodes, type Codebook } from './codebook.js';
import { convPatches, denseRows, gram, targets, type LayerStats, type Patches } from './layer-stats.js';
import type { LowerContext } from './lower-to-shift.js';
import type { WeightMatrix } from './lower-weights.js';
import type { TermCurve } from './allocate-terms.js';
import { greedyLogRow, maxExponent, quantizeGain, type RowCodes } from './shift-layer.js';

const PASSES = 4;
const LAMBDAS = [0, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
const LAMBDA_ROWS = 16;
/** Rows whose exponent candidates are built together (bounds their memory: 8 vectors of D per row). */
const ROW_CHUNK = 32;

/** The exponent-search candidates of a row (greedy starts, E0-2..E0+1) and, per start, H wq and H wq - t. */
export interface Candidates {
  starts: RowCodes[];
  /** H wq of each start (entries where wq is 0 are unused); may be omitted with a single start. */
  hw?: Float64Array[];
  /** The descent's starting gradient H wq - t of each start, for the `t` the candidates were built with. */
  grad?: Float64Array[];
}

export function greedyStarts(w: Float64Array, K: number, B: number): RowCodes[] {
  const E0 = maxExponent(w);
  return [E0 - 2, E0 - 1, E0, E0 + 1].map((E) => greedyLogRow(w, E, K, B));
}

/** Rows of H per block in candidateRows: a block (<= 128 KB) stays in cache while every weight row passes. */
const H_BLOCK_BYTES = 128 * 1024;

/**
 * Candidates of several rows on one set of statistics and targets: the O(D^2) products are paid once,
 * however many lambdas follow. Each sum keeps the order of the plain loop (j ascending, g from -t_i);
 * terms where wq_j = 0 add +-0, which changes no value (at most the sign of a zero sum, which nothing
 * compares). The four starts share every load of H, and H is walked in blocks reused by all rows.
 */
export function candidateRows(ws: readonly Float64Array[], st: LayerStats, ts: readonly Float64Array[], K: number, B: number, starts = ws.map((w) => greedyStarts(w, K, B))): Candidates[] {
  const D = st.D;
  const { H } = st;
  const out = ws.map((_, m) => ({ starts: starts[m]!, hw: [0, 1, 2, 3].map(() => new Float64Array(D)), grad: [0, 1, 2, 3].map(() => new Float64Array(D)) }));
  const ib = Math.max(1, Math.floor(H_BLOCK_BYTES / (8 * D)));
  for (let i0 = 0; i0 < D; i0 += ib) {
    const i1 = Math.min(D, i0 + ib);
    out.forEach((c, m) => {
      const t = ts[m]!;
      const [q0, q1, q2, q3] = c.starts.map((r) => r.wq) as [Float64Array, Float64Array, Float64Array, Float64Array];
      const [h0, h1, h2, h3] = c.hw as [Float64Array, Float64Array, Float64Array, Float64Array];
      const [g0, g1, g2, g3] = c.grad as [Float64Array, Float64Array, Float64Array, Float64Array];
      for (let i = i0; i < i1; i++) {
        const row = i * D;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        let b0 = -t[i]!, b1 = b0, b2 = b0, b3 = b0;
        for (let j = 0; j < D; j++) {
          const h = H[row + j]!;
          const p0 = h * q0[j]!, p1 = h * q1[j]!, p2 = h * q2[j]!, p3 = h * q3[j]!;
          a0 += p0; b0 += p0; a1 += p1; b1 += p1; a2 += p2; b2 += p2; a3 += p3; b3 += p3;
        }
        h0[i] = a0; h1[i] = a1; h2[i] = a2; h3[i] = a3;
        g0[i] = b0; g1[i] = b1; g2[i] = b2; g3[i] = b3;
      }
    });
  }
  return out;
}

/** Output-error objective of a row: wq^T H wq - 2 wq^T t + lambda * s * |wq - w|^2 (constant terms dropped). */
function objective(wq: Float64Array, hw: Float64Array, w: Float64Array, t: Float64Array, reg: number): number {
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

/**
 * Coordinate descent over {0, the two representable neighbours of w_i, current} per weight, keeping the
 * gradient g = H wq - t current with one row update per accepted change (O(D) each).
 */
/** The objective with H v computed here (for callers without a precomputed H wq). */
function objectiveH(wq: Float64Array, H: Float64Array, w: Float64Array, t: Float64Array, reg: number): number {
  const D = wq.length;
  const hw = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    const a = wq[i]!;
    if (a !== 0) for (let j = 0; j < D; j++) hw[j] += H[j * D + i]! * a;
  }
  return objective(wq, hw, w, t, reg);
}

function descend(w: Float64Array, E: number, book: Codebook, st: LayerStats, t: Float64Array, reg: number, start: RowCodes, mu: number, grad?: Float64Array): RowCodes {
  const D = w.length;
  const { H } = st;
  const scale = 2 ** E;
  const wq = start.wq.slice();
  const idx = new Int32Array(D);
  for (let i = 0; i < D; i++) idx[i] = floorIndex(book, Math.abs(wq[i]!) / scale);
  const g = grad ? grad.slice() : new Float64Array(D);
  for (let i = 0; i < D && !grad; i++) {
    let s = -t[i]!;
    // Zero entries add nothing, so skipping them leaves the sum's bits unchanged.
    for (let j = 0; j < D; j++) if (wq[j] !== 0) s += H[i * D + j]! * wq[j]!;
    g[i] = s;
  }
  // The fixed candidates of each weight (its representable neighbours) do not change between passes.
  const one = book.K > 1 && mu > 0 ? codebook(1, book.B) : undefined;
  const nc = one ? 6 : 4;
  const cands = new Int32Array(D * nc);
  for (let i = 0; i < D; i++) {
    const a = Math.abs(w[i]!) / scale;
    const lo = floorIndex(book, a);
    cands[i * nc + 1] = lo;
    cands[i * nc + 2] = Math.min(lo + 1, book.values.length - 1);
    // With a term price (--avg-terms), also offer the cheaper one-term neighbours.
    if (one) {
      const lo1 = floorIndex(one, a);
      cands[i * nc + 4] = floorIndex(book, one.values[lo1]!);
      cands[i * nc + 5] = floorIndex(book, one.values[Math.min(lo1 + 1, one.values.length - 1)]!);
    }
  }
  for (let pass = 0; pass < PASSES; pass++) {
    let changed = 0;
    for (let i = 0; i < D; i++) {
      const wi = w[i]!;
      // Exact zeros are pruned weights (or true zeros): they stay without a term.
      if (wi === 0) continue;
      const sign = wi < 0 ? -1 : 1;
      const c0 = i * nc;
      cands[c0 + 3] = idx[i]!;
      const cur = wq[i]!;
      const hii = H[i * D + i]!;
      let best = 0;
      let bestIdx = idx[i]!;
      const curTerms = book.termCount[idx[i]!]!;
      for (let c = c0; c < c0 + nc; c++) {
        const v = sign * book.values[cands[c]!]! * scale;
        const d = v - cur;
        if (d === 0) continue;
        const delta = 2 * d * g[i]! + d * d * hii + reg * ((v - wi) ** 2 - (cur - wi) ** 2) + mu * (book.termCount[cands[c]!]! - curTerms);
        if (delta < best - 1e-15) { best = delta; bestIdx = cands[c]!; }
      }
      if (bestIdx === idx[i]) continue;
      const v = sign * book.values[bestIdx]! * scale;
      const d = v - cur;
      // H is symmetric (gram() fills both halves with the same value): walk row i, not column i.
      const hr = i * D;
      for (let j = 0; j < D; j++) g[j] += d * H[hr + j]!;
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

/**
 * Quantises one row: exponent chosen on output error, then error-aware rounding and the bias refit.
 * `cands` lets callers reuse the exponent candidates across lambdas (or fix the exponent with one start).
 */
export function recoverRow(w: Float64Array, st: LayerStats, t: Float64Array, K: number, B: number, lambda: number, mu = 0, cands?: Candidates, gain = false): RowCodes {
  const D = w.length;
  let trace = 0;
  for (let i = 0; i < D; i++) trace += st.H[i * D + i]!;
  const reg = lambda * (trace / D);
  const c = cands ?? candidateRows([w], st, [t], K, B)[0]!;
  let pick = 0;
  if (c.starts.length > 1) {
    let bestErr = Infinity;
    c.starts.forEach((start, k) => {
      const err = objective(start.wq, c.hw![k]!, w, t, reg);
      if (err < bestErr) { bestErr = err; pick = k; }
    });
  }
  const best = c.starts[pick]!;
  const book = codebook(K, B);
  let row = descend(w, best.E, book, st, t, reg, best, mu, c.grad?.[pick]);
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
  let bestErr = objectiveH(start.wq, st.H, w, t, reg) + mu * termsOf(start);
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
    const err = objectiveH(next.wq.map((v) => v * g), st.H, w, t, reg) + mu * termsOf(next);
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
    const o = r * D;
    for (let m = 0; m < rows.length; m++) {
      const g = fit[m]!.gain?.value ?? 1;
      const wq = fit[m]!.wq;
      const w = rows[m]!;
      let e = fit[m]!.biasDelta;
      for (let i = 0; i < D; i++) e += g * wq[i]! * xq[o + i]! - w[i]! * xf[o + i]!;
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
  const starts = rows.map((w) => greedyStarts(w, K, B));
  const fits = folds.map(([a, b]) => {
    const st = gram(p, true, a, b);
    const ts = targets(p, rows, st, true, a, b);
    return { st, ts, cands: candidateRows(rows, st, ts, K, B, starts) };
  });
  let best = 0;
  let bestErr = Infinity;
  for (const lambda of LAMBDAS) {
    let err = 0;
    folds.forEach(([, , c, d], f) => {
      const { st, ts, cands } = fits[f]!;
      err += heldOutError(p, rows, rows.map((w, m) => recoverRow(w, st, ts[m]!, K, B, lambda, 0, cands[m])), c, d);
    });
    if (err < bestErr) { bestErr = err; best = lambda; }
  }
  return best;
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
  const q = ctx.intActs(x);
  const qs = 2 ** -ctx.fracOfNew(x);
  const M = mat.rows.length;
  const perGroup = M / mat.groups;
  // Statistics once per input group; rows are then quantised (possibly several times for the term budget).
  const groups = Array.from({ length: mat.groups }, (_, g) => {
    let p: Patches;
    if (n.op.kind === 'Conv') {
      const y = ctx.g.values[n.outputs[0]!]!.type.shape;
      p = convPatches(fl, q, qs, n.op.attrs, mat.groups, g, [y.length === 4 ? y[2]! : 1, y[y.length - 1]!]);
    } else {
      p = denseRows(fl, q, qs);
    }
    const rows = mat.rows.slice(g * perGroup, (g + 1) * perGroup);
    const lambda = n.op.kind === 'Conv' ? 0 : chooseLambda(p, rows, spec.K, spec.B);
    const st = gram(p, true);
    return { rows, lambda, st, ts: targets(p, rows, st, true) };
  });
  // The exponent search does not depend on the term price: later (priced) passes reuse each row's exponent.
  const exps = new Int32Array(M);
  let searched = false;
  const quantizeAll = (mu: number): RowCodes[] => {
    const rows: RowCodes[] = [];
    groups.forEach((gr, g) => {
      for (let j0 = 0; j0 < gr.rows.length; j0 += ROW_CHUNK) {
        const j1 = Math.min(gr.rows.length, j0 + ROW_CHUNK);
        const batch = searched ? undefined : candidateRows(gr.rows.slice(j0, j1), gr.st, gr.ts.slice(j0, j1), spec.K, spec.B);
        for (let j = j0; j < j1; j++) {
          const m = g * perGroup + j;
          ctx.o.onProgress?.(`recover ${n.name}`, m + 1, M);
          const w = gr.rows[j]!;
          const cands = batch ? batch[j - j0]! : { starts: [greedyLogRow(w, exps[m]!, spec.K, spec.B)] };
          rows.push(recoverRow(w, gr.st, gr.ts[j]!, spec.K, spec.B, gr.lambda, mu, cands, spec.gain));
        }
      }
    });
    rows.forEach((r, m) => { exps[m] = r.E; });
    searched = true;
    return rows;
  };
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
