// LeakyRelu: x for x >= 0, alpha * x otherwise.
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferSame, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type LeakyReluAttrs = { alpha: number };

export const leakyReluOp = defineOp<LeakyReluAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { channelwise: true, tableActivation: true },
  infer: (_a, inputs, where) => inferSame(inputs, where),
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i]! >= 0 ? d[i]! : a.alpha * d[i]!;
    return [like(x, out)];
  },
  batch: firstStacked,
});
