// MaxPool: 1-D/2-D max over sliding windows (padding never wins; dilations supported).
import { defineOp } from '../op.js';
import { inferPool, runPool, type PoolGeometry } from './pool.js';
import { firstStacked } from './batch-rules.js';

export type MaxPoolAttrs = PoolGeometry;

export const maxPoolOp = defineOp<MaxPoolAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { scalePreserving: true, perChannelFracs: true, channelwise: true },
  infer: inferPool,
  run: (a, inputs) => runPool(a, 'max', false, inputs),
  batch: firstStacked,
});
