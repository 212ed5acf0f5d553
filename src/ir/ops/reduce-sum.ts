// ReduceSum: sum over static axes (keepdims optional).
import { defineOp } from '../op.js';
import { inferReduce, reduceBatch, runReduce, type ReduceAttrs } from './reduce.js';

export type ReduceSumAttrs = ReduceAttrs;

export const reduceSumOp = defineOp<ReduceSumAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferReduce,
  run: (a, inputs) => runReduce(a, inputs, false),
  batch: reduceBatch,
});
