// Label-free recovery for one weight row: output-error base exponent, error-aware rounding, bias refit, lambda.
import { codebook, type Codebook } from './codebook.js';
import { centredStats, rowTarget, type QuantStats } from './layer-stats.js';

/** One quantised row (field-compatible with RowCodes in ../shift-layer.ts). */
export interface RoundResult {
  E: number;
  /** Dequantised weights 2^E * v. */
  wq: Float64Array;
  /** K int8 codes per weight (docs/numerics.md). */
  codes: Int8Array;
  /** Add to the float bias (0 unless refitBias). */
  biasDelta: number;
  /** Output MSE E[(xq.wq + biasDelta - x.w)^2]; relative (minus w'Hx w) when the stats lack Hx. */
  err: number;
  /** Non-zero terms of the chosen encodings. */
  terms: number;
}

export interface RoundOptions {
  passes?: number;
  /** Weight-space regulariser, in units of trace(Hq)/D (keeps few-sample fits close to w). */
  lambda?: number;
  /** Fit the centred statistics and return the bias correction that absorbs the mean output error. */
  refitBias?: boolean;
  /** Row index of w in the layer: required when the stats were accumulated in per-weights mode. */
  row?: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** out = M v for a D x D row-major M. */
function matvec(M: Float64Array, v: Float64Array, out: Float64Array): Float64Array {
  const D = v.length;
  for (let i = 0; i < D; i++) {
    let s = 0;
    const o = i * D;
    for (let j = 0; j < D; j++) s += M[o + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** x' M x, exploiting nothing but a single pass (M need not be symmetric). */
function quad(M: Float64Array, x: Float64Array): number {
  const D = x.length;
  let s = 0;
  for (let i = 0; i < D; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    let r = 0;
    const o = i * D;
    for (let j = 0; j < D; j++) r += M[o + j]! * x[j]!;
    s += xi * r;
  }
  return s;
}

/**
 * Output MSE of replacing w by wq (+ biasDelta) on uncentred stats:
 * wq'Hq wq - 2 wq'Cx w + w'Hx w + 2 d (mq.wq - mx.w) + d^2.
 */
export function outputError(wq: Float64Array, w: Float64Array, s: QuantStats, biasDelta = 0, row?: number): number {
  const { cw, c0 } = rowTarget(s, w, row, false);
  const mean = dot(s.meanXq, wq) - dot(s.meanX, w);
  return quad(s.Hq, wq) - 2 * dot(wq, cw) + c0 + 2 * biasDelta * mean + biasDelta * biasDelta;
}

/** Bias change that makes the quantised row's mean output equal the float row's: w.mean(X) - wq.mean(Xq). */
export function biasCorrection(w: Float64Array, wq: Float64Array, s: QuantStats): number {
  return dot(w, s.meanX) - dot(wq, s.meanXq);
}

/** Greedy log-domain rounding of a row under base exponent E (dequantised). */
export function logNearestRow(w: Float64Array, E: number, cb: Codebook, out = new Float64Array(w.length)): Float64Array {
  const sc = 2 ** E;
  const inv = 2 ** -E;
  for (let i = 0; i < w.length; i++) out[i] = cb.nearestLog(w[i]! * inv) * sc;
  return out;
}

function maxAbs(w: Float64Array): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]!));
  return m;
}

export interface ExponentOptions {
  /** Offsets searched around floor(log2 max|w|), inclusive. */
  range?: [number, number];
  refitBias?: boolean;
  row?: number;
  /** Score by weight MSE instead of output error (baseline for comparisons). */
  weightError?: boolean;
}

/**
 * Base exponent minimising the row's output error wq'Hq wq - 2 wq'Cx w (+const) of its log-nearest encoding:
 * a larger E clips less but loses small weights off the bottom of the window; the data decides which matters.
 */
export function chooseBaseExponent(w: Float64Array, stats: QuantStats, K: number, B: number, opts: ExponentOptions = {}): { E: number; err: number } {
  const m = maxAbs(w);
  if (m === 0) return { E: 0, err: 0 };
  const s = opts.refitBias ? centredStats(stats) : stats;
  const cb = codebook(K, B);
  const e0 = Math.floor(Math.log2(m));
  const [lo, hi] = opts.range ?? [-2, 1];
  const D = w.length;
  const wq = new Float64Array(D);
  const t = opts.weightError ? null : rowTarget(stats, w, opts.row, !!opts.refitBias);
  const cw = t ? t.cw : null;
  const c0 = t ? t.c0 : 0;
  let best = { E: e0, err: Infinity };
  for (let e = e0 + lo; e <= e0 + hi; e++) {
    logNearestRow(w, e, cb, wq);
    let err = 0;
    if (cw) err = quad(s.Hq, wq) - 2 * dot(wq, cw) + c0;
    else for (let i = 0; i < D; i++) err += (wq[i]! - w[i]!) ** 2;
    if (err < best.err) best = { E: e, err };
  }
  return best;
}

/**
 * Coordinate descent on J(wq) = wq'H wq - 2 wq'C w + lam ||wq - w||^2, lam = lambda * trace(H)/D, from the
 * log-nearest start. Per weight the candidates are 0, the current value, the codebook neighbours of w_i and
 * of the coordinate's unconstrained optimum; the kept gradient g = H wq - C w makes each trial O(1) and each
 * accepted change O(D) (H is symmetric, so its column i is the contiguous row i).
 */
export function errorAwareRound(w: Float64Array, E: number, stats: QuantStats, K: number, B: number, opts: RoundOptions = {}): RoundResult {
  const D = w.length;
  const s = opts.refitBias ? centredStats(stats) : stats;
  const H = s.Hq;
  const cb = codebook(K, B);
  const sc = 2 ** E;
  const inv = 2 ** -E;
  let tr = 0;
  for (let i = 0; i < D; i++) tr += H[i * D + i]!;
  const lam = (opts.lambda ?? 0) * (tr / D);
  const wq = logNearestRow(w, E, cb);
  const { cw, c0 } = rowTarget(stats, w, opts.row, !!opts.refitBias);
  const g = matvec(H, wq, new Float64Array(D));
  for (let i = 0; i < D; i++) g[i] -= cw[i]!;
  // Accept only clear improvements so rounding noise cannot cycle.
  const tol = 1e-13 * (tr / D + lam) * (maxAbs(w) ** 2 + 1e-300);
  const passes = opts.passes ?? 3;
  let cur = 0;
  let wi = 0;
  let gi = 0;
  let hii = 0;
  let best = 0;
  let bestD = 0;
  const tryV = (c: number): void => {
    const d = c - cur;
    const dj = 2 * d * gi + d * d * hii + lam * ((c - wi) ** 2 - (cur - wi) ** 2);
    if (dj < bestD) {
      bestD = dj;
      best = c;
    }
  };
  const tryAround = (x: number): void => {
    const a = Math.abs(x) * inv;
    const sg = x < 0 ? -sc : sc;
    tryV(cb.floorAbs(a) * sg);
    tryV(cb.ceilAbs(a) * sg);
  };
  for (let pass = 0; pass < passes; pass++) {
    let changed = 0;
    for (let i = 0; i < D; i++) {
      cur = wq[i]!;
      wi = w[i]!;
      gi = g[i]!;
      hii = H[i * D + i]!;
      best = cur;
      bestD = -tol;
      tryV(0);
      tryAround(wi);
      if (hii + lam > 0) tryAround(cur - (gi + lam * (cur - wi)) / (hii + lam));
      if (best === cur) continue;
      const d = best - cur;
      wq[i] = best;
      const o = i * D;
      for (let j = 0; j < D; j++) g[j] += d * H[o + j]!;
      changed++;
    }
    if (changed === 0) break;
  }
  const codes = new Int8Array(D * K);
  let terms = 0;
  for (let i = 0; i < D; i++) terms += cb.encodeInto(wq[i]! * inv, codes, i * K);
  const err = dot(wq, g) - dot(wq, cw) + c0;
  const biasDelta = opts.refitBias ? biasCorrection(w, wq, stats) : 0;
  return { E, wq, codes, biasDelta, err, terms };
}

/** Encodes a row by log-nearest rounding only (the baseline), with the same result shape. */
export function logNearestResult(w: Float64Array, E: number, stats: QuantStats, K: number, B: number, refitBias = false, row?: number): RoundResult {
  const cb = codebook(K, B);
  const wq = logNearestRow(w, E, cb);
  const codes = new Int8Array(w.length * K);
  let terms = 0;
  for (let i = 0; i < w.length; i++) terms += cb.encodeInto(wq[i]! * 2 ** -E, codes, i * K);
  const biasDelta = refitBias ? biasCorrection(w, wq, stats) : 0;
  return { E, wq, codes, biasDelta, err: outputError(wq, w, stats, biasDelta, row), terms };
}

export interface LambdaOptions extends RoundOptions {
  grid?: readonly number[];
  /** Rows scored (evenly strided) to bound the cost on wide layers. */
  maxRows?: number;
}

/**
 * Picks lambda without labels by two-fold cross-validation on the calibration samples: fit every row on one
 * half's statistics, measure its output error (with that half's bias fix) on the other half, both ways.
 * Few samples relative to D make Hq rank-deficient, so lambda = 0 overfits and a positive value wins.
 */
export function chooseLambdaByHalves(
  W: Float64Array,
  M: number,
  D: number,
  halves: readonly [QuantStats, QuantStats],
  K: number,
  B: number,
  opts: LambdaOptions = {},
): { lambda: number; scores: Float64Array } {
  const grid = opts.grid ?? [0, 0.01, 0.03, 0.1, 0.3, 1];
  const rows = Math.min(M, opts.maxRows ?? 64);
  const scores = new Float64Array(grid.length);
  for (let r = 0; r < rows; r++) {
    const m = Math.floor((r * M) / rows);
    const w = W.subarray(m * D, (m + 1) * D);
    for (let f = 0; f < 2; f++) {
      const fit = halves[f]!;
      const test = halves[1 - f]!;
      const { E } = chooseBaseExponent(w, fit, K, B, { refitBias: opts.refitBias, row: m });
      for (let l = 0; l < grid.length; l++) {
        const res = errorAwareRound(w, E, fit, K, B, { ...opts, lambda: grid[l]!, row: m });
        scores[l] += outputError(res.wq, w, test, res.biasDelta, m);
      }
    }
  }
  let bi = 0;
  for (let l = 1; l < grid.length; l++) if (scores[l]! < scores[bi]!) bi = l;
  return { lambda: grid[bi]!, scores };
}
