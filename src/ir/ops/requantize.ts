// Requantize: narrows or rescales an integer tensor, y = clamp(requant(x, shift, bits), actMin, actMax).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { requant } from '../fixed-point.js';
import { needT } from './util.js';
import { actDtype, checkAct, checkShift, needInt, type ActAttrs } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/** `shift` is r = f_in - f_out (negative widens the fraction); also carries fused activation clamps. */
export type RequantizeAttrs = ActAttrs & { shift: number };

function inferRequantize(a: RequantizeAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkAct(a, where);
  checkShift(a.shift, 'shift', where);
  const x = needInt(inputs, 0, ['int8', 'int16', 'int32'], 'Requantize input', where);
  return [{ dtype: actDtype(a.bits), shape: [...x.shape] }];
}

function runRequantize(a: RequantizeAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [t] = inferRequantize(a, inputs, 'kernel');
  const n = x.data.length;
  const out = allocData(t!.dtype, n);
  const xd = x.data;
  const { shift, bits, actMin, actMax } = a;
  for (let i = 0; i < n; i++) {
    const q = requant(xd[i]!, shift, bits);
    out[i] = q < actMin ? actMin : q > actMax ? actMax : q;
  }
  return [{ dtype: t!.dtype, shape: t!.shape, data: out }];
}

export const requantizeOp = defineOp<RequantizeAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferRequantize,
  run: runRequantize,
  batch: firstStacked,
});
