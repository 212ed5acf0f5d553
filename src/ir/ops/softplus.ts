// Softplus: log(1 + exp(x)), split at 0 so large |x| neither overflows nor loses precision.
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type SoftplusAttrs = Record<string, never>;

export const softplusOp = defineOp<SoftplusAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { tableActivation: true },
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      out[i] = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
    }
    return [like(x, out)];
  },
  batch: firstStacked,
});
