// Shared type inference and the map-op definition for elementwise unary ops.
import { fail } from '../../diagnostics.js';
import { defineOp, type OpDef, type OpTraits } from '../op.js';
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { firstStacked } from './batch-rules.js';
import { need, needT } from './util.js';

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

/**
 * An elementwise op out[i] = f(x[i], attrs): the definition every map-like unary op shares, so each op file
 * states only its formula, dtype rule and traits. `float` ops accept float32 only (transcendentals).
 */
export function mapOp<A extends object>(spec: { float: boolean; traits: OpTraits; f: (v: number, a: A) => number }): OpDef<A> {
  const { f } = spec;
  return defineOp<A>({
    arity: [1, 1],
    outputs: 1,
    traits: spec.traits,
    infer: (_a, inputs, where) => (spec.float ? inferFloat(inputs, where) : inferSame(inputs, where)),
    run: (a, inputs): Tensor[] => {
      const x = needT(inputs, 0);
      const d = x.data;
      const out = allocData(x.dtype, d.length);
      for (let i = 0; i < d.length; i++) out[i] = f(d[i]!, a);
      return [like(x, out)];
    },
    batch: firstStacked,
  });
}
