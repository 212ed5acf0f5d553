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
  const out = new Float64Array(N * M * OH * OW);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const c0 = Math.floor(m / mPerG) * cPerG;
      const wBase = m * D;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let sum = 0;
          let t = wBase;
          for (let ci = 0; ci < cPerG; ci++) {
            const xBase = (n * C + c0 + ci) * H * W;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * s[0]! - p[0]! + kh * d[0]!;
              for (let kw = 0; kw < KW; kw++, t++) {
                const iw = ow * s[1]! - p[1]! + kw * d[1]!;
                // A padded tap reads the zero point: it contributes |0 - w|.
                const xv = ih >= 0 && ih < H && iw >= 0 && iw < W ? xd[xBase + ih * W + iw]! : 0;
                const v = xv - wd[t]!;
                sum += v < 0 ? -v : v;
              }
            }
          }
          out[o++] = sum;
        }
      }
    }
  }
  return out;
}
