// Elu: x for x > 0, alpha * (exp(x) - 1) otherwise.
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type EluAttrs = { alpha: number };

export const eluOp = defineOp<EluAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { tableActivation: true },
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i]! > 0 ? d[i]! : a.alpha * Math.expm1(d[i]!);
    return [like(x, out)];
  },
  batch: firstStacked,
});
