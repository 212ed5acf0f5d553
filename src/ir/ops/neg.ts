// Neg: -x (any dtype; shape subgraphs use it on int64).
import { mapOp } from './unary.js';

export type NegAttrs = Record<string, never>;

export const negOp = mapOp<NegAttrs>({
  float: false,
  traits: {},
  f: (v) => -v,
});
