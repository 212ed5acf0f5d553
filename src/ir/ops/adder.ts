// Adder: the float adder layer (AdderNet / ShiftAddNet), y = scale_m * -sum |x - w| + bias_m over a Conv window.
import { floatTensor, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import type { ConvAttrs } from './conv.js';
import { adderShape, adderSums } from './adder-common.js';
import { check, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

/** Conv geometry; inputs x, w [M, C/group, ...kernel], optional per-channel scale [M] and bias [M] (the BatchNorm folded in). */
export type AdderAttrs = ConvAttrs;

function inferAdder(a: AdderAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const w = need(inputs, 1, where);
  check(x.dtype === 'float32' && w.dtype === 'float32', `Adder takes float32 operands, got ${x.dtype}/${w.dtype}`, where);
  const M = w.shape[0]!;
  for (const k of [2, 3]) {
    const t = inputs[k];
    if (t) check(t.shape.length === 1 && t.shape[0] === M, `${k === 2 ? 'scale' : 'bias'} shape [${t.shape}] does not match ${M} output channels`, where);
  }
  return [{ dtype: 'float32', shape: adderShape(a, x, w, where) }];
}

function runAdder(a: AdderAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const w = needT(inputs, 1);
  const [t] = inferAdder(a, inputs, 'kernel');
  const sums = adderSums(a, x, w, t!.shape);
  const M = w.shape[0]!;
  const plane = sums.length / (t!.shape[0]! * M);
  const scale = inputs[2]?.data;
  const bias = inputs[3]?.data;
  const out = floatTensor(t!.shape);
  for (let i = 0; i < sums.length; i++) {
    const m = Math.floor(i / plane) % M;
    out.data[i] = (scale ? scale[m]! : 1) * -sums[i]! + (bias ? bias[m]! : 0);
  }
  return [out];
}

export const adderOp = defineOp<AdderAttrs>({
  arity: [2, 4],
  outputs: 1,
  // Not a weightLayer: its weights are not a dot product, so pruning, term lowering and per-channel input fracs do not apply.
  traits: { fusesActivation: true },
  infer: inferAdder,
  run: runAdder,
  batch: firstStacked,
  // One |x - w| and one add per tap and output element: the MAC-equivalent work unit.
  cost: (_a, inputs, outputs) => ({ macs: inputs[1] && outputs[0] ? (outputs[0].shape.reduce((p, q) => p * q, 1) / inputs[1].shape[0]!) * inputs[1].shape.reduce((p, q) => p * q, 1) : 0 }),
});
