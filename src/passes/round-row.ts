// Error-aware rounding of one weight row: exponent candidates, then descent (round-descend.ts) and the channel gain.
import { codebook, type Codebook } from './codebook.js';
import { candidateSums, descendKernel } from '../accel/recover.js';
import { descend, objective, objectiveH, oneTerm, PASSES, rowOf, termsOf } from './round-descend.js';
import type { LayerStats } from './layer-stats.js';
import { GAIN_DIGITS, gainDigits, greedyLogRow, maxExponent, quantizeGain, type Gain, type RowCodes } from './shift-layer.js';

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
