// Clip: min(max(x, min), max); bounds are attributes (ONNX opset >= 11 inputs are folded by the importer).
import { allocData, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { inferSame, like } from './unary.js';
import { needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type ClipAttrs = { min: number; max: number };

export const clipOp = defineOp<ClipAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { fusableActivation: true, channelwise: true },
  infer: (_a, inputs, where) => inferSame(inputs, where),
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const d = x.data;
    const out = allocData(x.dtype, d.length);
    // Comparisons against +-Infinity never fire, so an unbounded side leaves v (and integer dtypes) untouched.
    const lo = a.min;
    const hi = a.max;
    for (let i = 0; i < d.length; i++) {
      let v = d[i]!;
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      out[i] = v;
    }
    return [like(x, out)];
  },
  batch: firstStacked,
});
