// HardSwish: x * max(0, min(1, x / 6 + 1/2)) (HardSigmoid with alpha 1/6, beta 0.5, times x).
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type HardSwishAttrs = Record<string, never>;

export const hardSwishOp = defineOp<HardSwishAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { channelwise: true, tableActivation: true },
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i]! * Math.max(0, Math.min(1, d[i]! / 6 + 0.5));
    return [like(x, out)];
  },
  batch: firstStacked,
});
