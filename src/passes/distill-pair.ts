// Label-free distillation of one shift -> adder pair onto the convolution it replaces: Hadamard initialisation, seeded Adam/AdderNet steps.
import { mulberry32 } from '../util/prng.js';
import { hadamard, projectRows } from './pair-math.js';
import { gramFactors, patchGram, ridgeRefit, roundRowsWithFeedback } from './round-pair.js';

/**
 * A pair: u = S z (S: n' x D, every row f_r times signed powers of two), then per output channel m
 * y_m = scale_m * -sum_c |u_c - w_mc| + bias_m (w: M x n').
 */
export interface PairParams {
  readonly nPrime: number;
  readonly s: Float64Array;
  readonly w: Float64Array;
  readonly scale: Float64Array;
  readonly bias: Float64Array;
}

/** The layer to fit: the original conv's rows W (M x D) and bias, its input patches Z (P x D) and outputs T (P x M). */
export interface PairTask {
  readonly M: number;
  readonly D: number;
  readonly nPrime: number;
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly Z: Float64Array;
  readonly T: Float64Array;
}

export interface DistillOptions {
  steps: number;
  batch: number;
  seed: number;
  lr: number;
}

/** Steps between searches of the rows' power-of-two factors (the search costs 16 roundings per weight). */
const FACTOR_EVERY = 25;

export const DEFAULT_DISTILL: DistillOptions = { steps: 100, batch: 256, seed: 1, lr: 0.02 };

/** The adder's scale: one power of two near sqrt(M) / n' (see initPair). */
const pairScale = (M: number, n: number) => 2 ** -Math.round(Math.log2(n / Math.sqrt(M)));

/** The shift rows S = H^T W / (n' a) (n' x D) that make the linear-regime pair compute W z. */
function shiftRows(W: Float64Array, M: number, D: number, n: number, a: number): Float64Array {
  const k = 1 / (n * a);
  const s = new Float64Array(n * D);
  for (let c = 0; c < n; c++) {
    for (let m = 0; m < M; m++) {
      const h = hadamard(m, c) * k;
      for (let i = 0; i < D; i++) s[c * D + i] += h * W[m * D + i]!;
    }
  }
  return s;
}

/**
 * The exact float initialisation. With every adder weight beyond the data, w_mc = L * H_mc (H the Sylvester
 * Hadamard rows, |u| < L), each tap is linear: |u_c - w_mc| = L - H_mc u_c, so the adder is the +-1 matrix H plus
 * a constant: y = scale * (H u - n' L) + bias. S = H^T W / (n' scale) then gives y = W z + b exactly (H H^T = n' I).
 * The scale is one power of two near sqrt(M) / n' (u keeps W z's magnitude), never fitted: the integer gain is then
 * exact, which matters because it multiplies the whole sum, n' L included (5 gain digits on a fitted scale cost
 * 5 dB of SQNR on ResNet's first pair, 19.7 against 25.1 dB). What is left is S's power-of-two rounding: what distillation fits.
 */
export function initPair(t: PairTask): PairParams {
  const { M, D, nPrime: n, W, b, Z } = t;
  const a = pairScale(M, n);
  const s = shiftRows(W, M, D, n, a);
  // L: a power of two at least four times the largest |u| on the patches (lowering clamps w into u's range and moves
  // the rest into the bias exactly; a power of two also sits on every grid, so no rounding there).
  const P = Z.length / D;
  let umax = 1e-12;
  for (let p = 0; p < P; p++) {
    for (let c = 0; c < n; c++) {
      let u = 0;
      for (let i = 0; i < D; i++) u += s[c * D + i]! * Z[p * D + i]!;
      umax = Math.max(umax, Math.abs(u));
    }
  }
  const L = 2 ** Math.ceil(Math.log2(4 * umax));
  const w = new Float64Array(M * n);
  for (let m = 0; m < M; m++) for (let c = 0; c < n; c++) w[m * n + c] = L * hadamard(m, c);
  const scale = new Float64Array(M).fill(a);
  const bias = Float64Array.from(b, (v) => v + a * n * L);
  return { nPrime: n, s, w, scale, bias };
}

/** u = Sq z for rows `idx` of Z (U: rows x n'). */
function forwardU(Sq: Float64Array, Z: Float64Array, idx: ArrayLike<number>, n: number, D: number, U: Float64Array): void {
  for (let r = 0; r < idx.length; r++) {
    const zo = idx[r]! * D;
    for (let c = 0; c < n; c++) {
      const so = c * D;
      let u = 0;
      for (let i = 0; i < D; i++) u += Sq[so + i]! * Z[zo + i]!;
      U[r * n + c] = u;
    }
  }
}

/** A[r, m] = sum_c |U[r, c] - w[m, c]|. */
function adderSums(U: Float64Array, w: Float64Array, rows: number, M: number, n: number, A: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let c = 0; c < n; c++) { const d = U[r * n + c]! - w[m * n + c]!; s += d < 0 ? -d : d; }
      A[r * M + m] = s;
    }
  }
}

/**
 * The pair's relative output error on all P patches, sum (y - T)^2 / sum (T - mean_m)^2, after (with `refit`) the
 * closed-form least-squares bias per channel (set in place).
 */
export function refitError(t: PairTask, p: PairParams, refit: boolean): number {
  const { M, D, Z, T } = t;
  const n = p.nPrime;
  const P = Z.length / D;
  const Sq = new Float64Array(p.s.length);
  projectRows(p.s, n, D, Sq);
  const U = new Float64Array(P * n);
  const A = new Float64Array(P * M);
  forwardU(Sq, Z, Int32Array.from({ length: P }, (_, i) => i), n, D, U);
  adderSums(U, p.w, P, M, n, A);
  let err = 0;
  let tot = 0;
  for (let m = 0; m < M; m++) {
    let st = 0, stt = 0, sr = 0;
    for (let r = 0; r < P; r++) { const y = T[r * M + m]!; st += y; stt += y * y; sr += y + p.scale[m]! * A[r * M + m]!; }
    if (refit) p.bias[m] = sr / P;
    for (let r = 0; r < P; r++) { const d = p.scale[m]! * -A[r * M + m]! + p.bias[m]! - T[r * M + m]!; err += d * d; }
    tot += stt - (st * st) / P;
  }
  return err / Math.max(tot, 1e-30);
}

class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(n: number) { this.m = new Float64Array(n); this.v = new Float64Array(n); }
  /** x -= lr * step_scale[i / per] * mhat / (sqrt(vhat) + eps). */
  step(x: Float64Array, g: Float64Array, lr: number, stepScale: Float64Array, per: number): void {
    this.t++;
    const c1 = 1 - 0.9 ** this.t, c2 = 1 - 0.999 ** this.t;
    for (let i = 0; i < x.length; i++) {
      this.m[i] = 0.9 * this.m[i]! + 0.1 * g[i]!;
      this.v[i] = 0.999 * this.v[i]! + 0.001 * g[i]! * g[i]!;
      x[i] -= (lr * stepScale[Math.floor(i / per)]! * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + 1e-12);
    }
  }
}

const rms = (x: Float64Array, from: number, to: number) => { let s = 0; for (let i = from; i < to; i++) s += x[i]! * x[i]!; return Math.sqrt(s / Math.max(1, to - from)) || 1e-12; };

/**
 * Fits the pair to the conv's outputs on the patches: minibatch steps on S (Adam, straight through its
 * power-of-two projection), the adder weights (AdderNet: full-precision gradient (u - w), step scaled to
 * lr * sqrt(k) / ||g||), and the bias (Adam); a cosine-decayed rate; the best of the start and the end by the
 * full-patch error after a least-squares bias refit. Deterministic for a given seed.
 */
export function distillPair(t: PairTask, o: DistillOptions = DEFAULT_DISTILL): { params: PairParams; before: number; after: number } {
  const { M, D, nPrime: n, Z, T } = t;
  const P = Z.length / D;
  const init = initPair(t);
  const before = refitError(t, init, true);
  if (P === 0) return { params: init, before, after: before };
  // Closed form first: the conv refitted to its drifted inputs, its shift rows rounded with error feedback.
  const { inv, U: chol } = gramFactors(patchGram(Z, D), D);
  const rounded = roundRowsWithFeedback(shiftRows(ridgeRefit(t.W, t.b, Z, T, M, D, inv), M, D, n, init.scale[0]!), n, D, chol);
  const start: PairParams = { nPrime: n, s: rounded, w: init.w.slice(), scale: init.scale.slice(), bias: init.bias.slice() };
  const mid = refitError(t, start, true);
  const p: PairParams = { nPrime: n, s: start.s.slice(), w: start.w.slice(), scale: start.scale.slice(), bias: start.bias.slice() };
  const base = mid < before ? { params: start, err: mid } : { params: init, err: before };
  if (o.steps <= 0) return { params: base.params, before, after: base.err };
  const B = Math.min(o.batch, P);
  const rng = mulberry32(o.seed);
  const Sq = new Float64Array(p.s.length);
  const U = new Float64Array(B * n), A = new Float64Array(B * M), G = new Float64Array(B * M), gU = new Float64Array(B * n);
  const gS = new Float64Array(p.s.length), gw = new Float64Array(p.w.length), gb = new Float64Array(M);
  const vw = new Float64Array(p.w.length);
  const adS = new Adam(p.s.length), adB = new Adam(M);
  const rowScale = Float64Array.from({ length: n }, (_, c) => rms(start.s, c * D, (c + 1) * D));
  const idx = new Int32Array(B);
  // Scales of u (HardTanh's unit, the adder weights' step) and of the targets, from a first batch.
  for (let r = 0; r < B; r++) idx[r] = Math.floor(rng() * P);
  let factors = projectRows(p.s, n, D, Sq);
  forwardU(Sq, Z, idx, n, D, U);
  const tau = Float64Array.from({ length: n }, (_, c) => { let s = 0; for (let r = 0; r < B; r++) s += U[r * n + c]! ** 2; return Math.sqrt(s / B) || 1e-12; });
  const uScale = rms(tau, 0, n);
  let tVar = 0;
  for (let i = 0; i < T.length; i++) tVar += T[i]! * T[i]!;
  tVar = Math.max(tVar / T.length, 1e-30);
  const bScale = new Float64Array(M).fill(Math.sqrt(tVar));
  for (let step = 0; step < o.steps; step++) {
    const lr = o.lr * 0.5 * (1 + Math.cos((Math.PI * step) / o.steps));
    for (let r = 0; r < B; r++) idx[r] = Math.floor(rng() * P);
    if (step % FACTOR_EVERY === 0) factors = projectRows(p.s, n, D, Sq);
    else projectRows(p.s, n, D, Sq, factors);
    forwardU(Sq, Z, idx, n, D, U);
    adderSums(U, p.w, B, M, n, A);
    gb.fill(0); gw.fill(0); gU.fill(0); gS.fill(0);
    const k = 2 / (B * M * tVar);
    for (let r = 0; r < B; r++) {
      const to = idx[r]! * M;
      for (let m = 0; m < M; m++) {
        const g = k * (p.scale[m]! * -A[r * M + m]! + p.bias[m]! - T[to + m]!);
        G[r * M + m] = g;
        gb[m] += g;
        const ag = p.scale[m]! * g;
        for (let c = 0; c < n; c++) {
          const d = U[r * n + c]! - p.w[m * n + c]!;
          gw[m * n + c] += ag * d;
          const h = -d / tau[c]!;
          gU[r * n + c] += ag * (h > 1 ? 1 : h < -1 ? -1 : h);
        }
      }
    }
    for (let r = 0; r < B; r++) {
      const zo = idx[r]! * D;
      for (let c = 0; c < n; c++) {
        const g = gU[r * n + c]!;
        if (g === 0) continue;
        const so = c * D;
        for (let i = 0; i < D; i++) gS[so + i] += g * Z[zo + i]!;
      }
    }
    adS.step(p.s, gS, lr, rowScale, D);
    adB.step(p.bias, gb, lr, bScale, M);
    let gn = 0;
    for (let i = 0; i < gw.length; i++) gn += gw[i]! * gw[i]!;
    gn = Math.sqrt(gn);
    if (gn > 0) {
      const eta = (lr * uScale * Math.sqrt(gw.length)) / gn;
      for (let i = 0; i < gw.length; i++) { vw[i] = 0.9 * vw[i]! + eta * gw[i]!; p.w[i] -= vw[i]!; }
    }
  }
  const after = refitError(t, p, true);
  return after < base.err ? { params: p, before, after } : { params: base.params, before, after: base.err };
}
