// Exp: e^x.
import { mapOp } from './unary.js';

export type ExpAttrs = Record<string, never>;

export const expOp = mapOp<ExpAttrs>({
  float: true,
  traits: {},
  f: (v) => Math.exp(v),
});
