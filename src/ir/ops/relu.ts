// Relu: max(x, 0).
import { allocData, type Tensor, type TypedData } from '../tensor.js';
import { defineOp } from '../op.js';
import { need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type ReluAttrs = Record<string, never>;

/**
 * The loop alone in a function: V8 optimises a long first call mid-loop, and code after the loop in the same
 * function then has no type feedback and deoptimises (60-odd times per lenet calibration when inlined).
 */
function reluInto(d: TypedData, out: TypedData): TypedData {
  for (let i = 0; i < d.length; i++) out[i] = d[i]! > 0 || d[i] !== d[i] ? d[i]! : 0;
  return out;
}

export const reluOp = defineOp<ReluAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { fusableActivation: true, scalePreserving: true, perChannelFracs: true, channelwise: true },
  infer: (_a, inputs, where) => [need(inputs, 0, where)],
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    return [{ dtype: x.dtype, shape: x.shape, data: reluInto(x.data, allocData(x.dtype, x.data.length)) }];
  },
  batch: firstStacked,
});
