// ShiftConv: multiplication-free 1-D/2-D convolution; weights are signed power-of-two terms (docs/numerics.md).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { dotI32 } from './dot-block.js';
import { im2row, scratchI32 } from './im2col.js';
import { defineOp } from '../op.js';
import { SHIFT_OPERANDS, shiftInput } from '../lowered.js';
import { requant } from '../fixed-point.js';
import { as2d, convOp, type ConvAttrs } from './conv.js';
import { needT } from './util.js';
import { actDtype, applyGain, checkCodes, checkShiftAttrs, checkShiftParams, needInt, shiftOperands, shiftTermCounts, type ShiftAttrs } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/** Conv geometry as in ConvAttrs plus the shift encoding; inputs are x, codes [M, C/g, ...kernel, K], bias, rshift, optional gain [M, G]. */
export type ShiftConvAttrs = ConvAttrs & ShiftAttrs;

function inferShiftConv(a: ShiftConvAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkShiftAttrs(a, where);
  const x = needInt(inputs, SHIFT_OPERANDS.x, ['int8', 'int16'], 'ShiftConv input', where);
  checkShiftParams(inputs, a, a.kernel.length + 3, where);
  const codes = shiftInput(inputs, 'codes')!;
  // Geometry is exactly Conv's with the terms axis dropped from the weight shape.
  const [t] = convOp.infer(a, [x, { dtype: x.dtype, shape: codes.shape.slice(0, -1) }], where);
  return [{ dtype: actDtype(a.bits), shape: t!.shape }];
}

function runShiftConv(a: ShiftConvAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, SHIFT_OPERANDS.x);
  const codes = needT(inputs, SHIFT_OPERANDS.codes);
  const [outType] = inferShiftConv(a, inputs, 'kernel');
  checkCodes(codes, a.shiftBits, 'kernel ShiftConv');
  const ops = shiftOperands(a, inputs, codes, outType!.dtype, 'kernel ShiftConv');
  const { w: wi, bias, rshift: rd, hi, gain: gd, G } = ops;
  const { k, s, p, d } = as2d(a);
  const [N, C] = x.shape as [number, number];
  const H = x.shape.length === 4 ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = codes.shape[0]!;
  const OH = outType!.shape.length === 4 ? outType!.shape[2]! : 1;
  const OW = outType!.shape[outType!.shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const cPerG = C / a.group;
  const mPerG = M / a.group;
  const plane = OH * OW;
  const { bits, actMin } = a;
  const D = cPerG * KH * KW;
  const out = allocData(outType!.dtype, N * M * plane);
  // As in Conv, a 1x1 stride-1 unpadded conv reads its input in place (widened to int32 a sample at a time,
  // so the scratch stays one sample's size however many samples a batched call brings).
  const direct = KH === 1 && KW === 1 && s[0] === 1 && s[1] === 1 && p.every((v) => v === 0);
  const xi = direct ? scratchI32(0, C * H * W) : null;
  const rows = direct ? null : scratchI32(0, plane * D);
  const acc = scratchI32(1, mPerG * plane);
  for (let n = 0; n < N; n++) {
    xi?.set(x.data.subarray(n * C * H * W, (n + 1) * C * H * W));
    for (let g = 0; g < a.group; g++) {
      const xg = g * cPerG * H * W;
      if (rows) im2row(x.data, n * C * H * W + xg, rows, { cPerG, H, W, KH, KW, OH, OW, s, p, d });
      const m0 = g * mPerG;
      const shape = rows ? { M: mPerG, P: plane, D, wOff: m0 * D, xOff: 0, sp: D, st: 1 } : { M: mPerG, P: plane, D, wOff: m0 * D, xOff: xg, sp: 1, st: plane };
      dotI32(wi, rows ?? xi!, shape, bias, m0, acc);
      for (let j = 0; j < mPerG; j++) {
        const r = rd[m0 + j]!;
        const top = hi[m0 + j]!;
        const oBase = (n * M + m0 + j) * plane;
        const aBase = j * plane;
        for (let i = 0; i < plane; i++) {
          const y = requant(gd ? applyGain(acc[aBase + i]!, gd, m0 + j, G) : acc[aBase + i]!, r, bits);
          out[oBase + i] = y < actMin ? actMin : y > top ? top : y;
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
  traits: { shiftLayer: true },
  infer: inferShiftConv,
  run: runShiftConv,
  batch: firstStacked,
  cost: () => ({ macs: 0 }),
});
