// Tanh: hyperbolic tangent.
import { mapOp } from './unary.js';

export type TanhAttrs = Record<string, never>;

export const tanhOp = mapOp<TanhAttrs>({
  float: true,
  traits: { channelwise: true, tableActivation: true },
  f: (v) => Math.tanh(v),
});
