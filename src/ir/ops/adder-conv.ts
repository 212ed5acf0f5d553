// AdderConv: the integer adder layer, acc = bias - sum |x - w| in int32, then the shift layers' gain and requantisation (docs/numerics.md).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { ADDER_OPERANDS } from '../lowered.js';
import { requant } from '../fixed-point.js';
import type { ConvAttrs } from './conv.js';
import { adderShape, adderSums } from './adder-common.js';
import { check, needT } from './util.js';
import { actDtype, applyGain, checkAct, checkGain, needInt, type ActAttrs } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/** Conv geometry and the output activation; inputs x, weights [M, C/group, ...kernel] on x's grid, bias, rshift, optional gain [M, G]. */
export type AdderConvAttrs = ConvAttrs & ActAttrs;

function inferAdderConv(a: AdderConvAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkAct(a, where);
  const x = needInt(inputs, ADDER_OPERANDS.x, ['int8', 'int16'], 'AdderConv input', where);
  const w = needInt(inputs, ADDER_OPERANDS.weights, ['int8', 'int16'], 'AdderConv weights', where);
  // Weights live on the input's grid and in its range (lowering folds what lies beyond into the bias, exactly).
  check(w.dtype === x.dtype, `weights are ${w.dtype}, the input is ${x.dtype} (they must share the input's grid and type)`, where);
  const M = w.shape[0]!;
  for (const role of ['bias', 'rshift'] as const) {
    const t = needInt(inputs, ADDER_OPERANDS[role], ['int32'], role, where);
    check(t.shape.length === 1 && t.shape[0] === M, `${role} shape [${t.shape}] does not match ${M} output channels`, where);
  }
  if (inputs[ADDER_OPERANDS.gain]) {
    const gain = needInt(inputs, ADDER_OPERANDS.gain, ['int8'], 'gain', where);
    check(gain.shape.length === 2 && gain.shape[0] === M && gain.shape[1]! >= 1, `gain shape [${gain.shape}] should be [${M}, G]`, where);
  }
  return [{ dtype: actDtype(a.bits), shape: adderShape(a, x, w, where) }];
}

function runAdderConv(a: AdderConvAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, ADDER_OPERANDS.x);
  const w = needT(inputs, ADDER_OPERANDS.weights);
  const [t] = inferAdderConv(a, inputs, 'kernel');
  const bias = needT(inputs, ADDER_OPERANDS.bias).data;
  const rshift = needT(inputs, ADDER_OPERANDS.rshift).data;
  const gain = inputs[ADDER_OPERANDS.gain];
  checkGain(gain, 'kernel AdderConv');
  const G = gain?.shape[1] ?? 0;
  const sums = adderSums(a, x, w, t!.shape);
  const M = w.shape[0]!;
  const plane = sums.length / (t!.shape[0]! * M);
  const out = allocData(t!.dtype, sums.length);
  const { bits, actMin, actMax } = a;
  for (let i = 0; i < sums.length; i++) {
    const m = Math.floor(i / plane) % M;
    // bias - S is exact in float64; ToInt32 then wraps modulo 2^32 exactly like the C backend's uint32 accumulator.
    const acc = (bias[m]! - sums[i]!) | 0;
    const y = requant(applyGain(acc, gain?.data, m, G), rshift[m]!, bits);
    out[i] = y < actMin ? actMin : y > actMax ? actMax : y;
  }
  return [{ dtype: t!.dtype, shape: t!.shape, data: out }];
}

/** Operation counts per inference: per tap and output one subtraction, one absolute value and one add; per output the bias add. */
export function adderConvCounts(w: TensorType, outShape: readonly number[]): { subs: number; abs: number; adds: number } {
  const M = w.shape[0]!;
  const outs = outShape.reduce((p, q) => p * q, 1);
  const taps = w.shape.reduce((p, q) => p * q, 1) / M;
  return { subs: taps * outs, abs: taps * outs, adds: taps * outs + outs };
}

export const adderConvOp = defineOp<AdderConvAttrs>({
  arity: [4, 5],
  outputs: 1,
  traits: { shiftLayer: true },
  infer: inferAdderConv,
  run: runAdderConv,
  batch: firstStacked,
  cost: () => ({ macs: 0 }),
});
