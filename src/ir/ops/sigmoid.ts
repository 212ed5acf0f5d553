// Sigmoid: 1 / (1 + exp(-x)), evaluated so that exp never overflows.
import { mapOp } from './unary.js';

export type SigmoidAttrs = Record<string, never>;

export const sigmoidOp = mapOp<SigmoidAttrs>({
  float: true,
  traits: { channelwise: true, tableActivation: true },
  f: (v) => {
    if (v >= 0) return 1 / (1 + Math.exp(-v));
    const e = Math.exp(v);
    return e / (1 + e);
  },
});
