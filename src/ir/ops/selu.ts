// Selu: gamma * (x for x > 0, alpha * (exp(x) - 1) otherwise).
import { mapOp } from './unary.js';

export type SeluAttrs = { alpha: number; gamma: number };

export const seluOp = mapOp<SeluAttrs>({
  float: true,
  traits: {},
  f: (v, a) => a.gamma * (v > 0 ? v : a.alpha * Math.expm1(v)),
});
