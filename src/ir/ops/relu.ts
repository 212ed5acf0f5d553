// Relu: max(x, 0).
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type ReluAttrs = Record<string, never>;

export const reluOp = defineOp<ReluAttrs>({
  arity: [1, 1],
  outputs: 1,
  infer: (_a, inputs, where) => [need(inputs, 0, where)],
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const out = allocData(x.dtype, x.data.length);
    const d = x.data;
    for (let i = 0; i < d.length; i++) out[i] = d[i]! > 0 ? d[i]! : 0;
    return [{ dtype: x.dtype, shape: x.shape, data: out }];
  },
  batch: firstStacked,
});
