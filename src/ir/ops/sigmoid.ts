// Sigmoid: 1 / (1 + exp(-x)), evaluated so that exp never overflows.
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type SigmoidAttrs = Record<string, never>;

export const sigmoidOp = defineOp<SigmoidAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { channelwise: true, tableActivation: true },
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
      else { const e = Math.exp(v); out[i] = e / (1 + e); }
    }
    return [like(x, out)];
  },
  batch: firstStacked,
});
