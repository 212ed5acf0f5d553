// LogSoftmax along one axis: x - max - log(sum(exp(x - max))).
import { defineOp } from '../op.js';
import { inferSoftmax, runSoftmax, softmaxBatch, type SoftmaxAttrs } from './softmax-common.js';

export type LogSoftmaxAttrs = SoftmaxAttrs;

export const logSoftmaxOp = defineOp<LogSoftmaxAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferSoftmax,
  run: (a, inputs) => runSoftmax(a, true, inputs),
  batch: softmaxBatch,
});
