// Sqrt: square root (NaN for negative inputs, as in ONNX).
import { mapOp } from './unary.js';

export type SqrtAttrs = Record<string, never>;

export const sqrtOp = mapOp<SqrtAttrs>({
  float: true,
  traits: {},
  f: (v) => Math.sqrt(v),
});
