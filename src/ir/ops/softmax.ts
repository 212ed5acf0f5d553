// Softmax along one axis: exp(x - max) / sum(exp(x - max)).
import { defineOp } from '../op.js';
import { inferSoftmax, runSoftmax, softmaxBatch, type SoftmaxAttrs } from './softmax-common.js';

export type { SoftmaxAttrs };

export const softmaxOp = defineOp<SoftmaxAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferSoftmax,
  run: (a, inputs) => runSoftmax(a, false, inputs),
  batch: softmaxBatch,
});
