// The adder layer's window sum S[n, m, p] = sum over (c, kh, kw) of |x - w| (padded taps read x = 0), shared by Adder and AdderConv.
import type { Tensor, TensorType } from '../tensor.js';
import { as2d, convOp, type ConvAttrs } from './conv.js';
import { check } from './util.js';

/** Output type of an adder layer: exactly Conv's geometry (weights [M, C/group, ...kernel]). */
export function adderShape(a: ConvAttrs, x: TensorType, w: TensorType, where: string): number[] {
  check(w.shape.length === x.shape.length, `weight rank ${w.shape.length} does not match input rank ${x.shape.length}`, where);
  return [...convOp.infer(a, [x, w], where)[0]!.shape];
}

/**
 * Window sums of |x - w| for every output element, in output order ([N, M, ...spatial]). Float64 holds them
 * exactly for integer operands (at most D * 2^17 per element), so the integer kernel narrows them exactly.
 */
export function adderSums(a: ConvAttrs, x: Tensor, w: Tensor, outShape: readonly number[]): Float64Array {
  const { k, s, p, d } = as2d(a);
  const [N, C] = x.shape as [number, number];
  const H = x.shape.length === 4 ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = w.shape[0]!;
  const OH = outShape.length === 4 ? outShape[2]! : 1;
  const OW = outShape[outShape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const cPerG = C / a.group;
  const mPerG = M / a.group;
  const D = cPerG * KH * KW;
  const xd = x.data;
  const wd = w.data;
  const Hp = H + p[0]! + p[2]!;
  const Wp = W + p[1]! + p[3]!;
  // One sample's zero-padded copy (padded taps read the zero point 0, so they add |0 - w|) and each tap's offset in it:
  // the inner loop then has no bounds checks.
  const xp = new Float64Array(C * Hp * Wp);
  const tap = new Int32Array(cPerG * KH * KW);
  for (let ci = 0, t = 0; ci < cPerG; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) tap[t++] = (ci * Hp + kh * d[0]!) * Wp + kw * d[1]!;
  const out = new Float64Array(N * M * OH * OW);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        const src = ((n * C + c) * H + h) * W;
        const dst = (c * Hp + h + p[0]!) * Wp + p[1]!;
        for (let i = 0; i < W; i++) xp[dst + i] = xd[src + i]!;
      }
    }
    for (let m = 0; m < M; m++) {
      const g0 = Math.floor(m / mPerG) * cPerG * Hp * Wp;
      const wBase = m * D;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const base = g0 + oh * s[0]! * Wp + ow * s[1]!;
          let sum = 0;
          for (let t = 0; t < D; t++) {
            const v = xp[base + tap[t]!]! - wd[wBase + t]!;
            sum += v < 0 ? -v : v;
          }
          out[o++] = sum;
        }
      }
    }
  }
  return out;
}
