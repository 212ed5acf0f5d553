// ShiftGemm: multiplication-free fully connected layer y[n, m] = requant(bias[m] + sum_d w[m, d] x[n, d]).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { requant } from '../fixed-point.js';
import { check, needT } from './util.js';
import { actDtype, applyGain, checkCodes, checkGain, checkShiftAttrs, checkShiftParams, needInt, shiftTermCounts, type ShiftAttrs } from './shift-common.js';

/** Inputs: x [N, D], codes [M, D, K] (rows are output features), bias int32 [M], rshift int32 [M], optional gain int8 [M, G]. */
export type ShiftGemmAttrs = ShiftAttrs;

function inferShiftGemm(a: ShiftGemmAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkShiftAttrs(a, where);
  const x = needInt(inputs, 0, ['int8', 'int16'], 'ShiftGemm input', where);
  check(x.shape.length === 2, `ShiftGemm input must be 2-D [N, D], got [${x.shape}]`, where);
  const M = checkShiftParams(inputs, a, 3, where);
  const codes = inputs[1]!;
  check(codes.shape[1] === x.shape[1], `codes [${codes.shape}] expect ${codes.shape[1]} input features, input has ${x.shape[1]}`, where);
  return [{ dtype: actDtype(a.bits), shape: [x.shape[0]!, M] }];
}

function runShiftGemm(a: ShiftGemmAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const codes = needT(inputs, 1);
  const [outType] = inferShiftGemm(a, inputs, 'kernel');
  checkCodes(codes, a.shiftBits, 'kernel ShiftGemm');
  const bd = needT(inputs, 2).data;
  const rd = needT(inputs, 3).data;
  const gain = inputs[4];
  checkGain(gain, 'kernel ShiftGemm');
  const gd = gain?.data;
  const G = gain?.shape[1] ?? 0;
  const [N, D] = x.shape as [number, number];
  const M = codes.shape[0]!;
  const K = a.terms;
  const out = allocData(outType!.dtype, N * M);
  const xd = x.data;
  const cd = codes.data;
  const { bits, actMin, actMax } = a;
  for (let n = 0; n < N; n++) {
    const xBase = n * D;
    for (let m = 0; m < M; m++) {
      let acc = bd[m]! | 0;
      const cBase = m * D * K;
      for (let dd = 0; dd < D; dd++) {
        const v = xd[xBase + dd]!;
        const tBase = cBase + dd * K;
        for (let t = 0; t < K; t++) {
          const code = cd[tBase + t]!;
          // `| 0` reproduces the C backend's int32 (uint32-wrapping) accumulation.
          if (code > 0) acc = (acc + (v << (code - 1))) | 0;
          else if (code < 0) acc = (acc - (v << (-code - 1))) | 0;
        }
      }
      const y = requant(applyGain(acc, gd, m, G), rd[m]!, bits);
      out[n * M + m] = y < actMin ? actMin : y > actMax ? actMax : y;
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
  infer: inferShiftGemm,
  run: runShiftGemm,
  cost: () => ({ macs: 0 }),
});
