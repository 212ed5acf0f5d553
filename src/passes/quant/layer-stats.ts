// Second-order calibration statistics of one linear layer group (Hq = Xq'Xq/P, Cx = Xq'X/P, means) and im2col sampling.
import { as2d, windowOut, type ConvAttrs } from '../../ir/ops/conv.js';

/** Normalised statistics (all divided by P); matrices are D x D row-major, Hq and Hx symmetric. */
export interface QuantStats {
  D: number;
  P: number;
  /** E[xq xq^T] over the quantised network's inputs. */
  Hq: Float64Array;
  /** E[xq x^T]: quantised inputs against the float network's inputs (null in per-weights mode). */
  Cx: Float64Array | null;
  /** Per-weights mode: Cx W^T rows ([M, D]) and E[(x.w_m)^2] ([M]) instead of the D x D Cx and Hx. */
  cross: { M: number; CxW: Float64Array; yy: Float64Array } | null;
  /** E[x x^T] of the float inputs; only needed to report absolute errors (a per-row constant otherwise). */
  Hx: Float64Array | null;
  meanXq: Float64Array;
  meanX: Float64Array;
}

const CHUNK = 64;

/**
 * Streams [P, D] sample blocks into running sums. Blocks are transposed into CHUNK-sample column panels so
 * every Gram entry is a contiguous dot product held in L1/L2, computed 4x2 at a time (register blocking);
 * D is padded to a multiple of 4 internally so the kernel has no tails. Memory: 3 D^2 doubles + 2 panels.
 */
export class StatsAccumulator {
  readonly Dp: number;
  P = 0;
  private readonly hq: Float64Array;
  private readonly cx: Float64Array;
  private readonly hx: Float64Array | null;
  private readonly sq: Float64Array;
  private readonly sx: Float64Array;
  private readonly pq: Float64Array;
  private readonly px: Float64Array;
  private readonly W: Float64Array | null;
  private readonly M: number;
  private readonly cxw: Float64Array;
  private readonly yy: Float64Array;
  private readonly py: Float64Array;

  /**
   * `weights` (the layer's float rows, [M, D]) switches to per-weights mode: only C w_m and w_m'Hx w_m are
   * ever used, and Xq'(X W^T) costs 2 P D M instead of P D^2 (+ P D^2 / 2 for Hx) — 4x less for 64 x 576.
   */
  constructor(
    readonly D: number,
    opts: { floatGram?: boolean; weights?: { W: Float64Array; M: number } } = {},
  ) {
    const Dp = (D + 3) & ~3;
    this.Dp = Dp;
    const perW = opts.weights ?? null;
    this.W = perW ? perW.W : null;
    this.M = perW ? perW.M : 0;
    this.cxw = new Float64Array(this.M * D);
    this.yy = new Float64Array(this.M);
    this.py = new Float64Array(this.M * CHUNK);
    this.hq = new Float64Array(Dp * Dp);
    this.cx = new Float64Array(perW ? 0 : Dp * Dp);
    this.hx = opts.floatGram === false || perW ? null : new Float64Array(Dp * Dp);
    this.sq = new Float64Array(D);
    this.sx = new Float64Array(D);
    this.pq = new Float64Array(Dp * CHUNK);
    this.px = new Float64Array(Dp * CHUNK);
  }

  /** Adds P rows of quantised-network inputs Xq and float-network inputs X (same positions, [P, D] row-major). */
  add(Xq: Float32Array, X: Float32Array, P = Xq.length / this.D): void {
    const D = this.D;
    if (Xq.length < P * D || X.length < P * D) throw new Error(`stats: expected ${P} x ${D} samples`);
    for (let p0 = 0; p0 < P; p0 += CHUNK) {
      const c = Math.min(CHUNK, P - p0);
      // Transpose into panels with stride CHUNK; unused tail samples and the pad row stay zero.
      if (c < CHUNK) {
        this.pq.fill(0);
        this.px.fill(0);
      }
      for (let r = 0; r < c; r++) {
        const o = (p0 + r) * D;
        for (let i = 0; i < D; i++) {
          const a = Xq[o + i]!;
          const b = X[o + i]!;
          this.pq[i * CHUNK + r] = a;
          this.px[i * CHUNK + r] = b;
          this.sq[i] += a;
          this.sx[i] += b;
        }
      }
      gram(this.pq, this.pq, this.Dp, this.hq, true);
      if (this.W) this.addCross();
      else gram(this.pq, this.px, this.Dp, this.cx, false);
      if (this.hx) gram(this.px, this.px, this.Dp, this.hx, true);
    }
    this.P += P;
  }

  /** Per-weights mode: panel Y = W X^T, then CxW[m, i] += pq_i . y_m and yy[m] += |y_m|^2. */
  private addCross(): void {
    const { D, M, py, pq, px } = this;
    const W = this.W!;
    py.fill(0);
    for (let m = 0; m < M; m++) {
      const yo = m * CHUNK;
      for (let i = 0; i < D; i++) {
        const wv = W[m * D + i]!;
        if (wv === 0) continue;
        const xo = i * CHUNK;
        for (let r = 0; r < CHUNK; r++) py[yo + r] += wv * px[xo + r]!;
      }
      let e = 0;
      for (let r = 0; r < CHUNK; r++) e += py[yo + r]! * py[yo + r]!;
      this.yy[m] += e;
      for (let i = 0; i < D; i++) {
        const xo = i * CHUNK;
        let sdot = 0;
        for (let r = 0; r < CHUNK; r++) sdot += pq[xo + r]! * py[yo + r]!;
        this.cxw[m * D + i] += sdot;
      }
    }
  }

  /** Adds another accumulator's sums (e.g. the two calibration halves back into one). */
  merge(o: StatsAccumulator): void {
    if (o.D !== this.D) throw new Error('stats: merging different D');
    addInto(this.hq, o.hq);
    if (o.M !== this.M) throw new Error('stats: merging different modes');
    addInto(this.cx, o.cx);
    addInto(this.cxw, o.cxw);
    addInto(this.yy, o.yy);
    if (this.hx && o.hx) addInto(this.hx, o.hx);
    addInto(this.sq, o.sq);
    addInto(this.sx, o.sx);
    this.P += o.P;
  }

  finalize(): QuantStats {
    const { D, Dp } = this;
    const inv = this.P > 0 ? 1 / this.P : 0;
    const unpad = (src: Float64Array, sym: boolean): Float64Array => {
      const out = new Float64Array(D * D);
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          // Symmetric sums only hold the lower triangle (j <= i, plus the diagonal blocks' upper corners).
          out[i * D + j] = (sym && j > i ? src[j * Dp + i]! : src[i * Dp + j]!) * inv;
        }
      }
      return out;
    };
    const mq = new Float64Array(D);
    const mx = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      mq[i] = this.sq[i]! * inv;
      mx[i] = this.sx[i]! * inv;
    }
    const cross = this.W ? { M: this.M, CxW: this.cxw.map((v) => v * inv), yy: this.yy.map((v) => v * inv) } : null;
    const Cx = this.W ? null : unpad(this.cx, false);
    return { D, P: this.P, Hq: unpad(this.hq, true), Cx, cross, Hx: this.hx ? unpad(this.hx, true) : null, meanXq: mq, meanX: mx };
  }
}

function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i]!;
}

/** out[i, j] += sum_r A[i, r] B[j, r] over CHUNK-wide panels; lower triangle (by 4x4 blocks) when symmetric. */
function gram(A: Float64Array, B: Float64Array, Dp: number, out: Float64Array, sym: boolean): void {
  for (let i = 0; i < Dp; i += 4) {
    const a0 = i * CHUNK;
    const a1 = a0 + CHUNK;
    const a2 = a1 + CHUNK;
    const a3 = a2 + CHUNK;
    const jEnd = sym ? i + 4 : Dp;
    for (let j = 0; j < jEnd; j += 2) {
      const b0 = j * CHUNK;
      const b1 = b0 + CHUNK;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let r = 0; r < CHUNK; r++) {
        const y0 = B[b0 + r]!;
        const y1 = B[b1 + r]!;
        const x0 = A[a0 + r]!;
        const x1 = A[a1 + r]!;
        const x2 = A[a2 + r]!;
        const x3 = A[a3 + r]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s20 += x2 * y0;
        s21 += x2 * y1;
        s30 += x3 * y0;
        s31 += x3 * y1;
      }
      const o = i * Dp + j;
      out[o] += s00;
      out[o + 1] += s01;
      out[o + Dp] += s10;
      out[o + Dp + 1] += s11;
      out[o + 2 * Dp] += s20;
      out[o + 2 * Dp + 1] += s21;
      out[o + 3 * Dp] += s30;
      out[o + 3 * Dp + 1] += s31;
    }
  }
}

const centredCache = new WeakMap<QuantStats, QuantStats>();

/**
 * Covariance form (Hq - mq mq^T, Cx - mq mx^T, Hx - mx mx^T): with the bias refit the output's mean error is
 * absorbed, so only the centred part is left to minimise. Cached per stats object (shared by all rows).
 */
export function centredStats(s: QuantStats): QuantStats {
  let c = centredCache.get(s);
  if (c) return c;
  const { D, meanXq: mq, meanX: mx } = s;
  const Hq = new Float64Array(D * D);
  const Cx = s.Cx ? new Float64Array(D * D) : null;
  const Hx = s.Hx ? new Float64Array(D * D) : null;
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      const o = i * D + j;
      Hq[o] = s.Hq[o]! - mq[i]! * mq[j]!;
      if (Cx) Cx[o] = s.Cx![o]! - mq[i]! * mx[j]!;
      if (Hx) Hx[o] = s.Hx![o]! - mx[i]! * mx[j]!;
    }
  }
  // The per-weights cross terms stay uncentred: rowTarget centres them per row.
  c = { D, P: s.P, Hq, Cx, cross: s.cross, Hx, meanXq: mq, meanX: mx };
  centredCache.set(s, c);
  return c;
}

/**
 * The row-dependent part of the output error: cw = C w and c0 = w'Hx w (0 when unknown), from Cx/Hx or, in
 * per-weights mode, from row `row` of the cross terms. Centred: cw - mq (mx.w) and c0 - (mx.w)^2.
 */
export function rowTarget(s: QuantStats, w: Float64Array, row: number | undefined, centred: boolean): { cw: Float64Array; c0: number } {
  const D = s.D;
  const cw = new Float64Array(D);
  let c0 = 0;
  if (s.Cx) {
    for (let i = 0; i < D; i++) {
      let a = 0;
      for (let j = 0; j < D; j++) a += s.Cx[i * D + j]! * w[j]!;
      cw[i] = a;
    }
    if (s.Hx) for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) c0 += w[i]! * s.Hx[i * D + j]! * w[j]!;
  } else {
    if (!s.cross || row === undefined || row < 0 || row >= s.cross.M) throw new Error('stats in per-weights mode need the row index');
    cw.set(s.cross.CxW.subarray(row * D, (row + 1) * D));
    c0 = s.cross.yy[row]!;
  }
  if (centred) {
    let my = 0;
    for (let i = 0; i < D; i++) my += s.meanX[i]! * w[i]!;
    for (let i = 0; i < D; i++) cw[i] -= s.meanXq[i]! * my;
    if (s.Hx || s.cross) c0 -= my * my;
  }
  return { cw, c0 };
}

/** Small seeded PRNG (mulberry32) so the sampled positions are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * im2col rows of conv group g: D = (C/group) * KH * KW in weight order (ci, kh, kw), zero padding.
 * When there are more than maxPositions (n, oh, ow) positions a seeded uniform subset is taken by selection
 * sampling (Knuth's algorithm S: one pass, no index array, sorted output), so calling it with the same seed
 * on the quantised and float activations yields matching rows. Input is [N, C, H, W] or [N, C, W] (1-D).
 */
export function im2colPatches(
  input: Float32Array,
  shape: readonly number[],
  conv: ConvAttrs,
  g: number,
  maxPositions: number,
  seed: number,
): Float32Array {
  const { k, s, p, d } = as2d(conv);
  const [N, C] = shape as [number, number];
  const H = shape.length === 4 ? shape[2]! : 1;
  const W = shape[shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const OH = windowOut(H, KH, s[0]!, p[0]!, p[2]!, d[0]!);
  const OW = windowOut(W, KW, s[1]!, p[1]!, p[3]!, d[1]!);
  const cg = C / conv.group;
  const D = cg * KH * KW;
  const total = N * OH * OW;
  const P = Math.min(total, maxPositions);
  const out = new Float32Array(P * D);
  const rnd = mulberry32(seed);
  let need = P;
  let row = 0;
  for (let pos = 0; pos < total && need > 0; pos++) {
    if (P < total && rnd() * (total - pos) >= need) continue;
    need--;
    const n = Math.floor(pos / (OH * OW));
    const oh = Math.floor(pos / OW) % OH;
    const ow = pos % OW;
    const o = row++ * D;
    for (let ci = 0; ci < cg; ci++) {
      const base = (n * C + g * cg + ci) * H * W;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * s[0]! + kh * d[0]! - p[0]!;
        const oo = o + (ci * KH + kh) * KW;
        if (ih < 0 || ih >= H) continue; // the row is already zero
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * s[1]! + kw * d[1]! - p[1]!;
          if (iw >= 0 && iw < W) out[oo + kw] = input[base + ih * W + iw]!;
        }
      }
    }
  }
  return out;
}
