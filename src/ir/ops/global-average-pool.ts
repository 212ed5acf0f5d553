// GlobalAveragePool: mean over all spatial dims, keeping them as size 1.
import { defineOp } from '../op.js';
import { check } from './util.js';
import { inferGlobalPool, runGlobalPool, type GlobalPoolAttrs } from './global-pool.js';
import { firstStacked } from './batch-rules.js';

export type GlobalAveragePoolAttrs = GlobalPoolAttrs;

export const globalAveragePoolOp = defineOp<GlobalAveragePoolAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { perChannelFracs: true },
  infer: (_a, inputs, where) => {
    const outs = inferGlobalPool(inputs, where);
    check(outs[0]!.dtype === 'float32', `GlobalAveragePool needs float32 input, got ${outs[0]!.dtype}`, where);
    return outs;
  },
  run: (_a, inputs) => runGlobalPool('avg', inputs),
  batch: firstStacked,
});
