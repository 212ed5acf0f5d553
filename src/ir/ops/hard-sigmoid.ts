// HardSigmoid: max(0, min(1, alpha * x + beta)).
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type HardSigmoidAttrs = { alpha: number; beta: number };

export const hardSigmoidOp = defineOp<HardSigmoidAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { channelwise: true, tableActivation: true },
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = Math.max(0, Math.min(1, a.alpha * d[i]! + a.beta));
    return [like(x, out)];
  },
  batch: firstStacked,
});
