// Sign: -1, 0 or 1 by the sign of x (any dtype).
import { mapOp } from './unary.js';

export type SignAttrs = Record<string, never>;

export const signOp = mapOp<SignAttrs>({
  float: false,
  traits: {},
  f: (v) => Math.sign(v),
});
