// ShiftConv: multiplication-free 1-D/2-D convolution; weights are signed power-of-two terms (docs/numerics.md).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { im2col } from './im2col.js';
import { defineOp } from '../op.js';
import { requant } from '../fixed-point.js';
import { as2d, convOp, type ConvAttrs } from './conv.js';
import { needT } from './util.js';
import { actDtype, applyGain, checkCodes, checkGain, checkShiftAttrs, checkShiftParams, needInt, shiftTermCounts, type ShiftAttrs } from './shift-common.js';

/** Conv geometry as in ConvAttrs plus the shift encoding; inputs are x, codes [M, C/g, ...kernel, K], bias, rshift, optional gain [M, G]. */
export type ShiftConvAttrs = ConvAttrs & ShiftAttrs;

function inferShiftConv(a: ShiftConvAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkShiftAttrs(a, where);
  const x = needInt(inputs, 0, ['int8', 'int16'], 'ShiftConv input', where);
  checkShiftParams(inputs, a, a.kernel.length + 3, where);
  const codes = inputs[1]!;
  // Geometry is exactly Conv's with the terms axis dropped from the weight shape.
  const [t] = convOp.infer(a, [x, { dtype: x.dtype, shape: codes.shape.slice(0, -1) }], where);
  return [{ dtype: actDtype(a.bits), shape: t!.shape }];
}

function runShiftConv(a: ShiftConvAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const codes = needT(inputs, 1);
  const [outType] = inferShiftConv(a, inputs, 'kernel');
  checkCodes(codes, a.shiftBits, 'kernel ShiftConv');
  const bd = needT(inputs, 2).data;
  const rd = needT(inputs, 3).data;
  const gain = inputs[4];
  checkGain(gain, 'kernel ShiftConv');
  const gd = gain?.data;
  const G = gain?.shape[1] ?? 0;
  const { k, s, p, d } = as2d(a);
  const [N, C] = x.shape as [number, number];
  const H = x.shape.length === 4 ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = codes.shape[0]!;
  const OH = outType!.shape.length === 4 ? outType!.shape[2]! : 1;
  const OW = outType!.shape[outType!.shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const K = a.terms;
  const cPerG = C / a.group;
  const mPerG = M / a.group;
  const plane = OH * OW;
  const out = allocData(outType!.dtype, N * M * plane);
  // Int32Array stores wrap modulo 2^32 like the C backend's uint32 arithmetic (no wrap occurs once overflow.ts passed).
  const acc = new Int32Array(plane);
  const cd = codes.data;
  const { bits, actMin, actMax } = a;
  const D = cPerG * KH * KW;
  const direct = KH === 1 && KW === 1 && s[0] === 1 && s[1] === 1 && p.every((v) => v === 0);
  // Columns [D, plane] of one input group (zero where a tap falls in padding, the zero point): every term
  // then becomes one contiguous shift-and-add over the output plane.
  const cols = direct ? null : new Int32Array(D * plane);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < a.group; g++) {
      const xg = (n * C + g * cPerG) * H * W;
      const src = cols ?? x.data.subarray(xg, xg + D * plane);
      if (cols) im2col(x.data, xg, cols, { cPerG, H, W, KH, KW, OH, OW, s, p, d });
      for (let m = g * mPerG; m < (g + 1) * mPerG; m++) {
        acc.fill(bd[m]!);
        const tBase = m * D * K;
        for (let t = 0; t < D; t++) {
          const c0 = t * plane;
          for (let k = 0; k < K; k++) {
            const code = cd[tBase + t * K + k]!;
            if (code === 0) continue;
            const sh = code > 0 ? code - 1 : -code - 1;
            if (code > 0) for (let i = 0; i < plane; i++) acc[i] += src[c0 + i]! << sh;
            else for (let i = 0; i < plane; i++) acc[i] -= src[c0 + i]! << sh;
          }
        }
        const r = rd[m]!;
        const oBase = (n * M + m) * plane;
        for (let i = 0; i < plane; i++) {
          const y = requant(gd ? applyGain(acc[i]!, gd, m, G) : acc[i]!, r, bits);
          out[oBase + i] = y < actMin ? actMin : y > actMax ? actMax : y;
        }
      }
    }
  }
  return [{ dtype: outType!.dtype, shape: outType!.shape, data: out }];
}


/** Shift/add counts for `inspect`: one shift and one add per non-zero term per output position, plus bias adds. */
export function shiftConvCounts(_a: ShiftConvAttrs, codes: Tensor, outShape: readonly number[]): { shifts: number; adds: number } {
  return shiftTermCounts(codes, outShape);
}

export const shiftConvOp = defineOp<ShiftConvAttrs>({
  arity: [4, 5],
  outputs: 1,
  infer: inferShiftConv,
  run: runShiftConv,
  cost: () => ({ macs: 0 }),
});
