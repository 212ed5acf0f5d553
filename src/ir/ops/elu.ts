// Elu: x for x > 0, alpha * (exp(x) - 1) otherwise.
import { mapOp } from './unary.js';

export type EluAttrs = { alpha: number };

export const eluOp = mapOp<EluAttrs>({
  float: true,
  traits: { tableActivation: true },
  f: (v, a) => (v > 0 ? v : a.alpha * Math.expm1(v)),
});
