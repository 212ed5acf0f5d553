// HardSigmoid: max(0, min(1, alpha * x + beta)).
import { mapOp } from './unary.js';

export type HardSigmoidAttrs = { alpha: number; beta: number };

export const hardSigmoidOp = mapOp<HardSigmoidAttrs>({
  float: true,
  traits: { channelwise: true, tableActivation: true },
  f: (v, a) => Math.max(0, Math.min(1, a.alpha * v + a.beta)),
});
