// Concat: joins tensors of equal rank and dtype along `axis` (other dims must match).
import { allocData, normAxis, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { check, checkAttr, need, needT } from './util.js';

/** `axis` may be negative (from the end); the importer emits it normalised. */
export type ConcatAttrs = { axis: number };

function inferConcat(a: ConcatAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const first = need(inputs, 0, where);
  const r = first.shape.length;
  checkAttr(r >= 1 && a.axis >= -r && a.axis < r, `axis ${a.axis} out of range for rank ${r}`, where);
  const axis = normAxis(a.axis, r);
  const shape = [...first.shape];
  shape[axis] = 0;
  inputs.forEach((_, k) => {
    const t = need(inputs, k, where);
    check(t.dtype === first.dtype, `input ${k} dtype ${t.dtype} differs from ${first.dtype}`, where);
    check(t.shape.length === r && t.shape.every((d, i) => i === axis || d === first.shape[i]), `input ${k} shape [${t.shape}] does not match [${first.shape}] outside axis ${axis}`, where);
    shape[axis] += t.shape[axis]!;
  });
  return [{ dtype: first.dtype, shape }];
}

function runConcat(a: ConcatAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const [t] = inferConcat(a, inputs, 'kernel');
  const axis = normAxis(a.axis, t!.shape.length);
  const outer = numel(t!.shape.slice(0, axis));
  const inner = numel(t!.shape.slice(axis + 1));
  const outRow = t!.shape[axis]! * inner;
  const out = allocData(t!.dtype, numel(t!.shape));
  // Each input contributes one contiguous chunk per outer index.
  let col = 0;
  for (let k = 0; k < inputs.length; k++) {
    const x = needT(inputs, k);
    const chunk = x.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * chunk, (o + 1) * chunk) as never, o * outRow + col);
    col += chunk;
  }
  return [{ dtype: t!.dtype, shape: t!.shape, data: out }];
}

export const concatOp = defineOp<ConcatAttrs>({
  arity: [1, 2 ** 31 - 1],
  outputs: 1,
  traits: {},
  infer: inferConcat,
  run: runConcat,
  // Joining along axis >= 1 copies per dim-0 row; a shared input would have to be repeated per sample.
  batch: (a, inputs, stacked) => stacked.every(Boolean) && normAxis(a.axis, inputs[0]!.shape.length) > 0,
});
