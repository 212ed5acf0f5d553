// Neg: -x (any dtype; shape subgraphs use it on int64).
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferSame, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type NegAttrs = Record<string, never>;

export const negOp = defineOp<NegAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: (_a, inputs, where) => inferSame(inputs, where),
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = -d[i]!;
    return [like(x, out)];
  },
  batch: firstStacked,
});
