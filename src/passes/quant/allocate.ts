// Per-channel term budget allocation (K per output channel) across layers, greedy by normalised error per term.
import { centredStats, rowTarget, type QuantStats } from './layer-stats.js';
import { chooseBaseExponent, errorAwareRound, type RoundOptions, type RoundResult } from './round.js';

/** One layer's per-row outcomes at K = 1..Kmax. */
export interface AllocLayer {
  M: number;
  D: number;
  Kmax: number;
  /** [M * Kmax]: output error of row m with K = k + 1. */
  err: Float64Array;
  /** [M * Kmax]: non-zero terms actually used by that encoding. */
  terms: Int32Array;
  /** Output energy (sum over rows of w'Hx w, or w'Hq w) so errors of different layers are comparable. */
  energy: number;
}

export interface Allocation {
  /** Per layer, the K (1..Kmax) chosen for each channel. */
  K: Int32Array[];
  terms: number;
  weights: number;
  /** Sum over layers of (sum of chosen row errors) / energy. */
  normErr: number;
  /** True when even K = 1 everywhere exceeds the budget (then K = 1 is returned). */
  overBudget: boolean;
}

/** Output energy of a layer: trace(W H W^T) with H = Hx when available (else Hq), centred when refitting bias. */
export function layerEnergy(W: Float64Array, M: number, D: number, stats: QuantStats, refitBias = false): number {
  if (!stats.Hx && stats.cross) {
    // Per-weights mode: E[(x.w)^2] is stored per row (rowTarget centres it).
    let e = 0;
    for (let m = 0; m < M; m++) e += rowTarget(stats, W.subarray(m * D, (m + 1) * D), m, refitBias).c0;
    return e;
  }
  const s = refitBias ? centredStats(stats) : stats;
  const H = s.Hx ?? s.Hq;
  let e = 0;
  for (let m = 0; m < M; m++) {
    const o = m * D;
    for (let i = 0; i < D; i++) {
      const wi = W[o + i]!;
      if (wi === 0) continue;
      let r = 0;
      for (let j = 0; j < D; j++) r += H[i * D + j]! * W[o + j]!;
      e += wi * r;
    }
  }
  return e;
}

/** Runs exponent search + error-aware rounding for every row at K = 1..Kmax; optionally keeps the encodings. */
export function sweepK(
  W: Float64Array,
  M: number,
  D: number,
  stats: QuantStats,
  Kmax: number,
  B: number,
  opts: RoundOptions & { keep?: boolean } = {},
): { layer: AllocLayer; results: RoundResult[][] | null } {
  const err = new Float64Array(M * Kmax);
  const terms = new Int32Array(M * Kmax);
  const results: RoundResult[][] | null = opts.keep ? [] : null;
  for (let m = 0; m < M; m++) {
    const w = W.subarray(m * D, (m + 1) * D);
    const row: RoundResult[] = [];
    for (let k = 1; k <= Kmax; k++) {
      const { E } = chooseBaseExponent(w, stats, k, B, { refitBias: opts.refitBias, row: m });
      const r = errorAwareRound(w, E, stats, k, B, { ...opts, row: m });
      err[m * Kmax + k - 1] = r.err;
      terms[m * Kmax + k - 1] = r.terms;
      if (results) row.push(r);
    }
    if (results) results.push(row);
  }
  return { layer: { M, D, Kmax, err, terms, energy: layerEnergy(W, M, D, stats, opts.refitBias) }, results };
}

/**
 * Starts every channel at K = 1 and repeatedly applies the upgrade (to any higher K, so a non-convex error
 * curve cannot hide a good jump) with the largest normalised error reduction per added term that still fits
 * total terms <= avgTerms * total weights. Max-heap with lazy invalidation: an entry is stale once its channel
 * has moved; an entry that no longer fits is recomputed against the remaining budget.
 */
export function allocateTerms(layers: readonly AllocLayer[], avgTerms: number): Allocation {
  const K = layers.map((l) => new Int32Array(l.M).fill(1));
  let weights = 0;
  let used = 0;
  for (const l of layers) {
    weights += l.M * l.D;
    for (let m = 0; m < l.M; m++) used += l.terms[m * l.Kmax]!;
  }
  const budget = Math.floor(avgTerms * weights);
  const overBudget = used > budget;
  const norm = layers.map((l) => (l.energy > 0 ? 1 / l.energy : 1));
  // Heap over parallel arrays: priority, layer, row, from-K, to-K.
  const hp: number[] = [];
  const hl: number[] = [];
  const hr: number[] = [];
  const hf: number[] = [];
  const ht: number[] = [];
  const swap = (a: number, b: number): void => {
    for (const arr of [hp, hl, hr, hf, ht]) {
      const t = arr[a]!;
      arr[a] = arr[b]!;
      arr[b] = t;
    }
  };
  const push = (p: number, li: number, m: number, from: number, to: number): void => {
    let i = hp.length;
    hp.push(p), hl.push(li), hr.push(m), hf.push(from), ht.push(to);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (hp[up]! >= hp[i]!) break;
      swap(i, up);
      i = up;
    }
  };
  const pop = (): void => {
    const last = hp.length - 1;
    swap(0, last);
    for (const arr of [hp, hl, hr, hf, ht]) arr.pop();
    let i = 0;
    for (;;) {
      const a = 2 * i + 1;
      const b = a + 1;
      let t = i;
      if (a < hp.length && hp[a]! > hp[t]!) t = a;
      if (b < hp.length && hp[b]! > hp[t]!) t = b;
      if (t === i) break;
      swap(i, t);
      i = t;
    }
  };
  /** Best fitting upgrade of channel (li, m) from its current K; pushed if it reduces the error. */
  const offer = (li: number, m: number): void => {
    const l = layers[li]!;
    const from = K[li]![m]!;
    const o = m * l.Kmax;
    const e0 = l.err[o + from - 1]!;
    const t0 = l.terms[o + from - 1]!;
    let bestP = 0;
    let bestK = 0;
    for (let k = from + 1; k <= l.Kmax; k++) {
      const gain = (e0 - l.err[o + k - 1]!) * norm[li]!;
      const dt = l.terms[o + k - 1]! - t0;
      if (gain <= 0 || dt > budget - used) continue;
      const p = dt <= 0 ? Infinity : gain / dt;
      if (p > bestP) {
        bestP = p;
        bestK = k;
      }
    }
    if (bestK) push(bestP, li, m, from, bestK);
  };
  if (!overBudget) {
    for (let li = 0; li < layers.length; li++) for (let m = 0; m < layers[li]!.M; m++) offer(li, m);
    while (hp.length > 0) {
      const li = hl[0]!;
      const m = hr[0]!;
      const from = hf[0]!;
      const to = ht[0]!;
      pop();
      if (K[li]![m] !== from) continue;
      const l = layers[li]!;
      const dt = l.terms[m * l.Kmax + to - 1]! - l.terms[m * l.Kmax + from - 1]!;
      if (dt <= budget - used) {
        K[li]![m] = to;
        used += dt;
      }
      offer(li, m);
    }
  }
  let normErr = 0;
  let terms = 0;
  for (let li = 0; li < layers.length; li++) {
    const l = layers[li]!;
    let e = 0;
    for (let m = 0; m < l.M; m++) {
      e += l.err[m * l.Kmax + K[li]![m]! - 1]!;
      terms += l.terms[m * l.Kmax + K[li]![m]! - 1]!;
    }
    normErr += e * norm[li]!;
  }
  return { K, terms, weights, normErr, overBudget };
}
