// ShiftGemm: multiplication-free fully connected layer y[n, m] = requant(bias[m] + sum_d w[m, d] x[n, d]).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { SHIFT_OPERANDS, shiftInput } from '../lowered.js';
import { requant } from '../fixed-point.js';
import { dotI32 } from './dot-block.js';
import { scratchI32 } from './im2col.js';
import { check, needT } from './util.js';
import { actDtype, applyGain, checkCodes, checkShiftAttrs, checkShiftParams, needInt, shiftOperands, shiftTermCounts, type ShiftAttrs } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/** Rows of x per dot-product call. */
const ROW_BLOCK = 64;

/** Inputs: x [N, D], codes [M, D, K] (rows are output features), bias int32 [M], rshift int32 [M], optional gain int8 [M, G]. */
export type ShiftGemmAttrs = ShiftAttrs;

function inferShiftGemm(a: ShiftGemmAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkShiftAttrs(a, where);
  const x = needInt(inputs, SHIFT_OPERANDS.x, ['int8', 'int16'], 'ShiftGemm input', where);
  check(x.shape.length === 2, `ShiftGemm input must be 2-D [N, D], got [${x.shape}]`, where);
  const M = checkShiftParams(inputs, a, 3, where);
  const codes = shiftInput(inputs, 'codes')!;
  check(codes.shape[1] === x.shape[1], `codes [${codes.shape}] expect ${codes.shape[1]} input features, input has ${x.shape[1]}`, where);
  return [{ dtype: actDtype(a.bits), shape: [x.shape[0]!, M] }];
}

function runShiftGemm(a: ShiftGemmAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, SHIFT_OPERANDS.x);
  const codes = needT(inputs, SHIFT_OPERANDS.codes);
  const [outType] = inferShiftGemm(a, inputs, 'kernel');
  checkCodes(codes, a.shiftBits, 'kernel ShiftGemm');
  const ops = shiftOperands(a, inputs, codes, outType!.dtype, 'kernel ShiftGemm');
  const { w: wi, bias, rshift: rd, hi, gain: gd, G } = ops;
  const [N, D] = x.shape as [number, number];
  const M = codes.shape[0]!;
  const { bits, actMin } = a;
  const out = allocData(outType!.dtype, N * M);
  // Rows of x are the dot-product columns; acc comes back as [M, rows]. Batched calls bring many rows: blocks
  // of them bound the scratch while each weight load still serves a whole block.
  for (let n0 = 0; n0 < N; n0 += ROW_BLOCK) {
    const nb = Math.min(ROW_BLOCK, N - n0);
    const xi = scratchI32(0, nb * D);
    xi.set(x.data.subarray(n0 * D, (n0 + nb) * D));
    const acc = scratchI32(1, M * nb);
    dotI32(wi, xi, { M, P: nb, D, wOff: 0, xOff: 0, sp: D, st: 1 }, bias, 0, acc);
    for (let m = 0; m < M; m++) {
      const r = rd[m]!;
      const top = hi[m]!;
      for (let n = 0; n < nb; n++) {
        const y = requant(applyGain(acc[m * nb + n]!, gd, m, G), r, bits);
        out[(n0 + n) * M + m] = y < actMin ? actMin : y > top ? top : y;
      }
    }
  }
  return [{ dtype: outType!.dtype, shape: outType!.shape, data: out }];
}

/** Shift/add counts for `inspect` (see shiftConvCounts). */
export function shiftGemmCounts(_a: ShiftGemmAttrs, codes: Tensor, outShape: readonly number[]): { shifts: number; adds: number } {
  return shiftTermCounts(codes, outShape);
}

export const shiftGemmOp = defineOp<ShiftGemmAttrs>({
  arity: [4, 5],
  outputs: 1,
  traits: { shiftLayer: true },
  infer: inferShiftGemm,
  run: runShiftGemm,
  batch: firstStacked,
  cost: () => ({ macs: 0 }),
});
