// Abs: |x| (any dtype).
import { mapOp } from './unary.js';

export type AbsAttrs = Record<string, never>;

export const absOp = mapOp<AbsAttrs>({
  float: false,
  traits: {},
  f: (v) => Math.abs(v),
});
