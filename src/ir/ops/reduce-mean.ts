// ReduceMean: mean over static axes (keepdims optional).
import { defineOp } from '../op.js';
import { inferReduce, reduceBatch, runReduce, type ReduceAttrs } from './reduce.js';

export type ReduceMeanAttrs = ReduceAttrs;

export const reduceMeanOp = defineOp<ReduceMeanAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferReduce,
  run: (a, inputs) => runReduce(a, inputs, true),
  batch: reduceBatch,
});
