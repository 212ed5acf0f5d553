// Shared Softmax/LogSoftmax kernel along one axis (opset-13 semantics; older opsets are rewritten by the importer).
import { floatTensor, normAxis, numel, type Tensor, type TensorType } from '../tensor.js';
import { check, checkAttr, need, needT } from './util.js';

/** `axis` may be negative (from the end); the importer emits it normalised. */
export type SoftmaxAttrs = { axis: number };

export function inferSoftmax(a: SoftmaxAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const r = x.shape.length;
  checkAttr(r >= 1 && a.axis >= -r && a.axis < r, `axis ${a.axis} out of range for rank ${r}`, where);
  check(x.dtype === 'float32', `softmax needs float32 input, got ${x.dtype}`, where);
  return [x];
}

/** Rows along axis >= 1 lie within one dim-0 row: stacking samples leaves each row's computation alone. */
export function softmaxBatch(a: SoftmaxAttrs, inputs: readonly (TensorType | undefined)[]): boolean {
  return normAxis(a.axis, inputs[0]!.shape.length) > 0;
}

/** Max-subtracted for stability; log form computes x - max - log(sum(exp(x - max))). */
export function runSoftmax(a: SoftmaxAttrs, log: boolean, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const axis = normAxis(a.axis, x.shape.length);
  const D = x.shape[axis]!;
  const inner = numel(x.shape.slice(axis + 1));
  const outer = numel(x.shape.slice(0, axis));
  const xd = x.data as Float32Array;
  const out = floatTensor(x.shape);
  const od = out.data as Float32Array;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * D * inner + i;
      const end = base + D * inner;
      let m = -Infinity;
      for (let p = base; p < end; p += inner) if (xd[p]! > m) m = xd[p]!;
      let s = 0;
      for (let p = base; p < end; p += inner) s += Math.exp(xd[p]! - m);
      if (log) {
        const ls = Math.log(s);
        for (let p = base; p < end; p += inner) od[p] = xd[p]! - m - ls;
      } else {
        for (let p = base; p < end; p += inner) od[p] = Math.exp(xd[p]! - m) / s;
      }
    }
  }
  return [out];
}
