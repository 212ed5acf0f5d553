// Shared type inference for elementwise unary ops (each op writes its own kernel loop).
import { fail } from '../../diagnostics.js';
import type { Tensor, TensorType } from '../tensor.js';
import { need } from './util.js';

/** Output has the input's type (ops valid on any dtype: Neg, Abs, Sign, Clip, LeakyRelu...). */
export function inferSame(inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  return [need(inputs, 0, where)];
}

/** Output has the input's type; transcendental ops only make sense on float32. */
export function inferFloat(inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  if (x.dtype !== 'float32') fail('SAC015', `expects a float32 input, got ${x.dtype}`, where);
  return [x];
}

/** Wraps a kernel's result array as a tensor shaped like `x`. */
export function like(x: Tensor, data: Tensor['data']): Tensor {
  return { dtype: x.dtype, shape: x.shape, data };
}
