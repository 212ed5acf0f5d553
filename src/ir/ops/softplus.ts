// Softplus: log(1 + exp(x)), split at 0 so large |x| neither overflows nor loses precision.
import { mapOp } from './unary.js';

export type SoftplusAttrs = Record<string, never>;

export const softplusOp = mapOp<SoftplusAttrs>({
  float: true,
  traits: { tableActivation: true },
  f: (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))),
});
