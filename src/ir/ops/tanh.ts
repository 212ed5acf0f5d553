// Tanh: hyperbolic tangent.
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type TanhAttrs = Record<string, never>;

export const tanhOp = defineOp<TanhAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { channelwise: true, tableActivation: true },
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = Math.tanh(d[i]!);
    return [like(x, out)];
  },
  batch: firstStacked,
});
