// LeakyRelu: x for x >= 0, alpha * x otherwise.
import { mapOp } from './unary.js';

export type LeakyReluAttrs = { alpha: number };

export const leakyReluOp = mapOp<LeakyReluAttrs>({
  float: false,
  traits: { channelwise: true, tableActivation: true },
  f: (v, a) => (v >= 0 ? v : a.alpha * v),
});
