// Split: cuts a tensor along `axis` into pieces of the given sizes (one output per entry of `split`).
import { allocData, normAxis, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, need, needT } from './util.js';

/** `split` holds every output's size along `axis` (resolved by the importer, never empty). */
export type SplitAttrs = { axis: number; split: readonly number[] };

function inferSplit(a: SplitAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const r = x.shape.length;
  checkAttr(r >= 1 && a.axis >= -r && a.axis < r, `axis ${a.axis} out of range for rank ${r}`, where);
  const axis = normAxis(a.axis, r);
  checkAttr(a.split.length >= 1 && a.split.every((s) => Number.isInteger(s) && s >= 0), `split [${a.split}] must be non-negative sizes`, where);
  checkAttr(a.split.reduce((p, q) => p + q, 0) === x.shape[axis], `split [${a.split}] does not sum to dim ${x.shape[axis]} of axis ${axis}`, where);
  return a.split.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
}

function runSplit(a: SplitAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const types = inferSplit(a, inputs, 'kernel');
  const axis = normAxis(a.axis, x.shape.length);
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const inRow = x.shape[axis]! * inner;
  let col = 0;
  return types.map((t, k) => {
    const chunk = a.split[k]! * inner;
    const out = allocData(x.dtype, outer * chunk);
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * inRow + col, o * inRow + col + chunk) as never, o * chunk);
    col += chunk;
    return { dtype: x.dtype, shape: t.shape, data: out };
  });
}

export const splitOp = defineOp<SplitAttrs>({
  arity: [1, 1],
  outputs: (a) => a.split.length,
  traits: { scalePreserving: true },
  infer: inferSplit,
  run: runSplit,
  // Cutting along axis >= 1 copies per dim-0 row.
  batch: (a, inputs) => normAxis(a.axis, inputs[0]!.shape.length) > 0,
});
