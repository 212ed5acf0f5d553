// AveragePool: 1-D/2-D mean over sliding windows; count_include_pad decides whether padding counts.
import { defineOp } from '../op.js';
import { check } from './util.js';
import { inferPool, runPool, type PoolGeometry } from './pool.js';
import { firstStacked } from './batch-rules.js';

export type AveragePoolAttrs = PoolGeometry & { countIncludePad: boolean };

export const averagePoolOp = defineOp<AveragePoolAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { perChannelFracs: true, channelwise: true },
  infer: (a, inputs, where) => {
    const outs = inferPool(a, inputs, where);
    check(outs[0]!.dtype === 'float32', `AveragePool needs float32 input, got ${outs[0]!.dtype}`, where);
    return outs;
  },
  run: (a, inputs) => runPool(a, 'avg', a.countIncludePad, inputs),
  batch: firstStacked,
});
