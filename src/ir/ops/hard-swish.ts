// HardSwish: x * max(0, min(1, x / 6 + 1/2)) (HardSigmoid with alpha 1/6, beta 0.5, times x).
import { mapOp } from './unary.js';

export type HardSwishAttrs = Record<string, never>;

export const hardSwishOp = mapOp<HardSwishAttrs>({
  float: true,
  traits: { channelwise: true, tableActivation: true },
  f: (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)),
});
