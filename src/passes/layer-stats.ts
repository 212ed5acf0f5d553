// Second-order statistics of a layer's inputs on calibration data (quantised and float networks), per input group.
import type { Tensor } from '../ir/tensor.js';
import type { ConvAttrs } from '../ir/ops/conv.js';
import { mulberry32 } from '../util/prng.js';
import { convPatchesKernel, finishGramKernel, gramSumsKernel, targetsKernel } from '../accel/recover.js';

/** Patch matrices [P, D] (row-major) of one group: what the layer's rows are dotted with. */
export interface Patches {
  P: number;
  D: number;
  xq: Float64Array;
  xf: Float64Array;
}

const MAX_POSITIONS = 2048;

/** Samples conv input patches at deterministic pseudo-random output positions (zero padding). */
/**
 * `q` holds the integer activations and `qs` their scale 2^-frac; only sampled entries are dequantised
 * (q * qs is exact in double, the value a float32 dequantised copy would hold).
 */
export function convPatches(fl: readonly Tensor[], q: readonly Tensor[], qs: number, a: ConvAttrs, groups: number, g: number, outHW: [number, number]): Patches {
  const x0 = fl[0]!;
  const C = x0.shape[1]!;
  const H = x0.shape.length === 4 ? x0.shape[2]! : 1;
  const W = x0.shape[x0.shape.length - 1]!;
  const two = a.kernel.length === 2;
  const [KH, KW] = two ? a.kernel : [1, a.kernel[0]!];
  const [sh, sw] = two ? a.strides : [1, a.strides[0]!];
  const [dh, dw] = two ? a.dilations : [1, a.dilations[0]!];
  const [ph, pw] = two ? [a.pads[0]!, a.pads[1]!] : [0, a.pads[0]!];
  const Cg = C / groups;
  const D = Cg * KH * KW;
  const [OH, OW] = outHW;
  const perSample = Math.max(1, Math.min(OH * OW, Math.ceil(MAX_POSITIONS / fl.length)));
  const P = perSample * fl.length;
  // Output position of each patch row, in the order the plain loop draws them.
  const rnd = mulberry32(0x5eed + g);
  const pos = new Int32Array(P);
  for (let row = 0; row < P; row++) pos[row] = perSample === OH * OW ? row % perSample : Math.floor(rnd() * OH * OW);
  const geo = { C, H, W, KH, KW, sh, sw, dh, dw, ph, pw, OW, Cg, g, perSample, D };
  const k = convPatchesKernel(fl, q, qs, geo, pos);
  if (k) return k;
  const xq = new Float64Array(P * D);
  const xf = new Float64Array(P * D);
  let row = 0;
  for (let s = 0; s < fl.length; s++) {
    const fd = fl[s]!.data;
    const qd = q[s]!.data;
    for (let j = 0; j < perSample; j++, row++) {
      const oh = Math.floor(pos[row]! / OW);
      const ow = pos[row]! - oh * OW;
      let col = row * D;
      for (let c = 0; c < Cg; c++) {
        const base = (g * Cg + c) * H * W;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh * dh - ph;
          for (let kw = 0; kw < KW; kw++, col++) {
            const iw = ow * sw + kw * dw - pw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            xf[col] = fd[base + ih * W + iw]!;
            xq[col] = qd[base + ih * W + iw]! * qs;
          }
        }
      }
    }
  }
  return { P, D, xq, xf };
}

/** Gemm inputs: one patch per sample row (`q`, `qs` as in convPatches). */
export function denseRows(fl: readonly Tensor[], q: readonly Tensor[], qs: number): Patches {
  const D = fl[0]!.data.length / fl[0]!.shape[0]!;
  const P = fl.reduce((s, t) => s + t.shape[0]!, 0);
  const xf = new Float64Array(P * D);
  const xq = new Float64Array(P * D);
  let at = 0;
  fl.forEach((t, s) => {
    const qd = q[s]!.data;
    xf.set(t.data, at);
    for (let i = 0; i < qd.length; i++) xq[at + i] = qd[i]! * qs;
    at += t.data.length;
  });
  return { P, D, xq, xf };
}

export interface LayerStats {
  D: number;
  /** Centred or raw Gram matrix of quantised inputs, D x D. */
  H: Float64Array;
  meanQ: Float64Array;
  meanF: Float64Array;
}

/** Running sums of a Gram matrix (upper triangle) and of both inputs over the patch rows added so far. */
export interface GramSums {
  H: Float64Array;
  sumQ: Float64Array;
  sumF: Float64Array;
  rows: number;
}

/**
 * Adds rows `from..to` of the patches to `s` (fresh sums by default). Every entry is a plain sum in row order,
 * so sums over 0..a continued with a..b are the sums over 0..b, bit for bit.
 */
export function gramSums(p: Patches, from = 0, to = p.P, s: GramSums = { H: new Float64Array(p.D * p.D), sumQ: new Float64Array(p.D), sumF: new Float64Array(p.D), rows: 0 }): GramSums {
  s.rows += to - from;
  if (gramSumsKernel(p, from, to, s.H, s.sumQ, s.sumF)) return s;
  const { D, xq, xf } = p;
  addSums(s.sumQ, s.sumF, xq, xf, D, from, to);
  // Four patch rows per sweep of H, added in row order: the same additions in the same order as one row
  // at a time (a zero row adds +-0, which changes no sum that starts at +0), with a quarter of the H traffic.
  const to4 = from + ((to - from) & ~3);
  addRows4(s.H, xq, D, from, to4);
  addRows1(s.H, xq, D, to4, to);
  return s;
}

// Each long loop is its own function: V8 optimises a running loop in place, and code after it in the same
// function, not yet run, would throw that optimised code away on first use (back to the interpreter).

function addSums(sumQ: Float64Array, sumF: Float64Array, xq: Float64Array, xf: Float64Array, D: number, from: number, to: number): void {
  for (let r = from; r < to; r++) {
    const o = r * D;
    for (let i = 0; i < D; i++) {
      sumQ[i] += xq[o + i]!;
      sumF[i] += xf[o + i]!;
    }
  }
}

function addRows4(H: Float64Array, xq: Float64Array, D: number, from: number, to: number): void {
  for (let r = from; r < to; r += 4) {
    const o0 = r * D;
    const o1 = o0 + D;
    const o2 = o1 + D;
    const o3 = o2 + D;
    for (let i = 0; i < D; i++) {
      const a0 = xq[o0 + i]!;
      const a1 = xq[o1 + i]!;
      const a2 = xq[o2 + i]!;
      const a3 = xq[o3 + i]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const hi = i * D;
      for (let j = i; j < D; j++) H[hi + j] = H[hi + j]! + a0 * xq[o0 + j]! + a1 * xq[o1 + j]! + a2 * xq[o2 + j]! + a3 * xq[o3 + j]!;
    }
  }
}

function addRows1(H: Float64Array, xq: Float64Array, D: number, from: number, to: number): void {
  for (let r = from; r < to; r++) {
    const o = r * D;
    for (let i = 0; i < D; i++) {
      const a = xq[o + i]!;
      if (a === 0) continue;
      const hi = i * D;
      for (let j = i; j < D; j++) H[hi + j] += a * xq[o + j]!;
    }
  }
}

/** Gram matrix and means from the sums (symmetric fill; the sums' arrays are reused). */
export function finishGram(s: GramSums, centred: boolean): LayerStats {
  const { H, sumQ: meanQ, sumF: meanF, rows: n } = s;
  const D = meanQ.length;
  if (finishGramKernel(H, meanQ, meanF, n, centred)) return { D, H, meanQ, meanF };
  for (let i = 0; i < D; i++) { meanQ[i] /= n; meanF[i] /= n; }
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) {
      let v = H[i * D + j]! / n;
      if (centred) v -= meanQ[i]! * meanQ[j]!;
      H[i * D + j] = v;
      H[j * D + i] = v;
    }
  }
  return { D, H, meanQ, meanF };
}

/** Gram matrix and means of rows `from..to` of the patches. */
export function gram(p: Patches, centred: boolean, from = 0, to = p.P): LayerStats {
  return finishGram(gramSums(p, from, to), centred);
}

/** Target vectors t_m = Xq^T (X w_m) / n (optionally centred) for every row: the float layer's output, projected. */
export function targets(p: Patches, rows: readonly Float64Array[], st: LayerStats, centred: boolean, from = 0, to = p.P): Float64Array[] {
  const k = targetsKernel(p, rows, st.meanQ, st.meanF, centred, from, to);
  if (k) return k;
  const { D, xq, xf } = p;
  const n = to - from;
  const out = rows.map(() => new Float64Array(D));
  const M = rows.length;
  const y = new Float64Array(4 * M);
  // Patch rows four at a time, added to each t in row order (the same sums as one row at a time).
  for (let r = from; r < to; r += 4) {
    const nr = Math.min(4, to - r);
    floatOutputs(rows, xf, r * D, D, nr, y);
    addToTargets(out, xq, r * D, D, nr, y);
  }
  normalizeTargets(out, rows, st, centred, n);
  return out;
}

/** y[k * M + m] = w_m . xf row (o / D + k), k < nr; each dot in its own order (i ascending), sharing the w loads. */
function floatOutputs(rows: readonly Float64Array[], xf: Float64Array, o: number, D: number, nr: number, y: Float64Array): void {
  const M = rows.length;
  for (let m = 0; m < M; m++) {
    const w = rows[m]!;
    if (nr === 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0; i < D; i++) {
        const wi = w[i]!;
        s0 += wi * xf[o + i]!;
        s1 += wi * xf[o + D + i]!;
        s2 += wi * xf[o + 2 * D + i]!;
        s3 += wi * xf[o + 3 * D + i]!;
      }
      y[m] = s0; y[M + m] = s1; y[2 * M + m] = s2; y[3 * M + m] = s3;
      continue;
    }
    for (let k = 0; k < nr; k++) {
      const ok = o + k * D;
      let s0 = 0;
      for (let i = 0; i < D; i++) s0 += w[i]! * xf[ok + i]!;
      y[k * M + m] = s0;
    }
  }
}

/** t_m += sum over the nr rows k of xq row (o / D + k) * y[k * M + m], rows added in order. */
function addToTargets(out: readonly Float64Array[], xq: Float64Array, o: number, D: number, nr: number, y: Float64Array): void {
  const M = out.length;
  for (let m = 0; m < M; m++) {
    const t = out[m]!;
    if (nr === 4) {
      const y0 = y[m]!, y1 = y[M + m]!, y2 = y[2 * M + m]!, y3 = y[3 * M + m]!;
      for (let i = 0; i < D; i++) t[i] = t[i]! + xq[o + i]! * y0 + xq[o + D + i]! * y1 + xq[o + 2 * D + i]! * y2 + xq[o + 3 * D + i]! * y3;
      continue;
    }
    for (let k = 0; k < nr; k++) {
      const ym = y[k * M + m]!;
      const ok = o + k * D;
      for (let i = 0; i < D; i++) t[i] += xq[ok + i]! * ym;
    }
  }
}

function normalizeTargets(out: readonly Float64Array[], rows: readonly Float64Array[], st: LayerStats, centred: boolean, n: number): void {
  const D = st.D;
  for (let m = 0; m < out.length; m++) {
    const t = out[m]!;
    const w = rows[m]!;
    let yMean = 0;
    for (let i = 0; i < D; i++) yMean += w[i]! * st.meanF[i]!;
    for (let i = 0; i < D; i++) t[i] = t[i]! / n - (centred ? st.meanQ[i]! * yMean : 0);
  }
}
