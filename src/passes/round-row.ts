// Error-aware rounding of one weight row: exponent candidates, coordinate descent on output error, channel gain.
import { codebook, floorIndex, writeCodes, type Codebook } from './codebook.js';
import { allRows, mulHOnSupport, mulHRows, quadraticFrom, support } from './h-products.js';
import { candidateSums, descendKernel, objectiveKernel } from '../accel/recover.js';
import type { LayerStats } from './layer-stats.js';
import { GAIN_DIGITS, gainDigits, greedyLogRow, maxExponent, quantizeGain, type Gain, type RowCodes } from './shift-layer.js';

const PASSES = 4;
/** Rows whose exponent candidates are built together (bounds their memory: 8 vectors of D per row). */
export const ROW_CHUNK = 32;

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
  // The SIMD kernel (the same sums) where available; the blocked loops below for the rest.
  const rest = out.map((c, m) => ({ c, m })).filter(({ c, m }) => !candidateSums(H, D, c.starts.map((r) => r.wq), ts[m]!, c.hw, c.grad));
  const ib = Math.max(1, Math.floor(H_BLOCK_BYTES / (8 * D)));
  for (let i0 = 0; i0 < D && rest.length; i0 += ib) {
    const i1 = Math.min(D, i0 + ib);
    rest.forEach(({ c, m }) => {
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

/** [objective(v, H v, ...), v^T H v]: the compiled kernel where available (H v as mulHOnSupport sums it). */
function objectiveH(H: Float64Array, v: Float64Array, w: Float64Array, t: Float64Array, reg: number): [number, number] {
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
function descend(w: Float64Array, E: number, book: Codebook, st: LayerStats, t: Float64Array, reg: number, start: RowCodes, mu: number, grad?: Float64Array): RowCodes {
  const scale = 2 ** E;
  const one = oneTerm(book, mu);
  const { wq, index } = descendKernel(st.H, w, start.wq, t, grad, book, one, scale, reg, mu, PASSES) ?? descendRows(w, scale, book, one, st, t, reg, start, mu, grad);
  return rowOf(E, book, wq, index);
}

/** With a term price (--avg-terms), descend also offers the cheaper one-term neighbours. */
function oneTerm(book: Codebook, mu: number): Codebook | undefined {
  return book.K > 1 && mu > 0 ? codebook(1, book.B) : undefined;
}

/** The row of codebook indices `index` with values wq (their signs) at exponent E. */
function rowOf(E: number, book: Codebook, wq: Float64Array, index: Int32Array): RowCodes {
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
  if (gain && D <= GRID_MAX_D) row = gridGain(row, w, K, B, book, st, t, reg, mu);
  if (gain) row = fitGain(row, w, book, st, t, reg, mu);
  const g = row.gain?.value ?? 1;
  let delta = 0;
  for (let i = 0; i < D; i++) delta += w[i]! * st.meanF[i]! - g * row.wq[i]! * st.meanQ[i]!;
  row.biasDelta = delta;
  return row;
}

const GAIN_ROUNDS = 3;
/**
 * Rows of up to this many weights also search the gain on a grid: with few weights the offset of the log grid
 * decides most of the error, and the search costs grid size x D^2 per row (bounded for wide layers). On lenet's
 * 120-weight fc2 rows the grid moved top-1 by at most 0.02 points (K=1..3) for a tenth of the compile time.
 */
const GRID_MAX_D = 100;
/** Every distinct gain of the grid 1 + k/64 (k < 56) with `digits` shift-add digits: the log grid's offsets over one octave. */
function buildGainGrid(digits: number): Gain[] {
  return [...new Map(Array.from({ length: 56 }, (_, k) => quantizeGain(1 + k / 64, digits)).map((g) => [g.value, g])).values()];
}
/** The grids of 3 and 4 digits (18 and 36 gains). */
const GAIN_GRIDS = [GAIN_DIGITS, GAIN_DIGITS + 1].map((d) => ({ digits: d, grid: buildGainGrid(d) }));
function gainGrid(digits: number): Gain[] {
  return GAIN_GRIDS.find((g) => g.digits === digits)?.grid ?? buildGainGrid(digits);
}

/**
 * Error-aware rounding of the row for a fixed gain g: ||g Wq x - W x|| = g ||Wq x - (W / g) x||, so the codes
 * are fitted to w / g with targets t / g (term price mu / g^2) from the start `from` picks for w / g; returns
 * the row (carrying the gain) and its objective at the gain.
 */
function withGain(gain: Gain, w: Float64Array, book: Codebook, st: LayerStats, t: Float64Array, reg: number, mu: number,
  from: (wg: () => Float64Array) => { E: number; start: RowCodes }): { row: RowCodes; err: number } {
  const g = gain.value;
  let wg: Float64Array | undefined;
  const wOverG = () => (wg ??= w.map((v) => v / g));
  const { E, start } = from(wOverG);
  const muG = mu / (g * g);
  // The kernel divides, descends, scales back and takes the objective in one call (the same operations).
  const k = descendKernel(st.H, w, start.wq, t, undefined, book, oneTerm(book, muG), 2 ** E, reg, muG, PASSES, { g, reg });
  if (k) {
    const row = rowOf(E, book, k.wq, k.index);
    row.gain = gain;
    return { row, err: k.err + mu * termsOf(row) };
  }
  const row = descend(wOverG(), E, book, st, t.map((v) => v / g), reg, start, muG);
  row.gain = gain;
  const scaled = row.wq.map((v) => v * g);
  return { row, err: objectiveH(st.H, scaled, w, t, reg)[0] + mu * termsOf(row) };
}

/**
 * Tries every grid gain: the codes are rounded (log-nearest, then error-aware descent) for w / g and the
 * row with the least output error wins; fitGain then refines its gain by least squares.
 */
function gridGain(start: RowCodes, w: Float64Array, K: number, B: number, book: Codebook, st: LayerStats, t: Float64Array, reg: number, mu: number): RowCodes {
  let best = start;
  let bestErr = objectiveH(st.H, start.wq, w, t, reg)[0] + mu * termsOf(start);
  for (const gain of gainGrid(gainDigits(K))) {
    const { row, err } = withGain(gain, w, book, st, t, reg, mu, (wOverG) => {
      const wg = wOverG();
      const E = maxExponent(wg);
      return { E, start: greedyLogRow(wg, E, K, B) };
    });
    if (err < bestErr - 1e-15 * Math.abs(bestErr)) { best = row; bestErr = err; }
  }
  return best;
}

/**
 * Alternates the channel gain (least squares for fixed codes, then its shift-add digits) and error-aware
 * rounding for that gain (withGain, from the previous codes). A round is kept only if the row's output error drops.
 */
function fitGain(start: RowCodes, w: Float64Array, book: Codebook, st: LayerStats, t: Float64Array, reg: number, mu: number): RowCodes {
  const D = w.length;
  let best = start;
  // The objective reads H wq only where wq is non-zero; the first round's wq^T H wq reuses it.
  const [f0, q0] = objectiveH(st.H, start.wq, w, t, reg);
  let bestErr = f0 + mu * termsOf(start);
  let row = start;
  for (let round = 0; round < GAIN_ROUNDS; round++) {
    const qHq = round === 0 ? q0 : objectiveH(st.H, row.wq, w, t, reg)[1];
    let qt = 0;
    for (let i = 0; i < D; i++) if (row.wq[i] !== 0) qt += row.wq[i]! * t[i]!;
    if (!(qHq > 0) || !(qt > 0)) break;
    const from = row;
    const { row: next, err } = withGain(quantizeGain(qt / qHq, gainDigits(book.K)), w, book, st, t, reg, mu, () => ({ E: from.E, start: from }));
    if (!(err < bestErr - 1e-15 * Math.abs(bestErr))) break;
    best = next;
    bestErr = err;
    row = next;
  }
  return best;
}

export function termsOf(r: RowCodes): number {
  let n = 0;
  for (let i = 0; i < r.codes.length; i++) if (r.codes[i]) n++;
  return n;
}
