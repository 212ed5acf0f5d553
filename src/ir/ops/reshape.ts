// Reshape to a static shape (Flatten, Squeeze, Unsqueeze and constant-shape Reshape all import as this).
import { numel } from '../tensor.js';
import { defineOp } from '../op.js';
import { check, need, needT } from './util.js';

export type ReshapeAttrs = { shape: readonly number[] };

export const reshapeOp = defineOp<ReshapeAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { scalePreserving: true },
  infer: (a, inputs, where) => {
    const x = need(inputs, 0, where);
    check(numel(a.shape) === numel(x.shape), `cannot reshape [${x.shape}] to [${a.shape}]`, where);
    return [{ dtype: x.dtype, shape: [...a.shape] }];
  },
  // Data is shared, not copied: tensors are immutable once produced.
  run: (a, inputs) => [{ ...needT(inputs, 0), shape: [...a.shape] }],
});
