// Sqrt: square root (NaN for negative inputs, as in ONNX).
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferFloat, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type SqrtAttrs = Record<string, never>;

export const sqrtOp = defineOp<SqrtAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: (_a, inputs, where) => inferFloat(inputs, where),
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) out[i] = Math.sqrt(d[i]!);
    return [like(x, out)];
  },
  batch: firstStacked,
});
