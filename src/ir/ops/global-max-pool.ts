// GlobalMaxPool: max over all spatial dims, keeping them as size 1.
import { defineOp } from '../op.js';
import { inferGlobalPool, runGlobalPool, type GlobalPoolAttrs } from './global-pool.js';
import { firstStacked } from './batch-rules.js';

export type GlobalMaxPoolAttrs = GlobalPoolAttrs;

export const globalMaxPoolOp = defineOp<GlobalMaxPoolAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { scalePreserving: true, perChannelFracs: true },
  infer: (_a, inputs, where) => inferGlobalPool(inputs, where),
  run: (_a, inputs) => runGlobalPool('max', inputs),
  batch: firstStacked,
});
