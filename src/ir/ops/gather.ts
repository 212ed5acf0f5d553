// Gather: picks slices of `data` along `axis` by integer indices (negative indices count from the end).
import { fail } from '../../diagnostics.js';
import { allocData, normAxis, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { check, checkAttr, need, needT } from './util.js';

/** `axis` may be negative (from the end); the importer emits it normalised. */
export type GatherAttrs = { axis: number };

const INDEX_DTYPES = ['int64', 'int32', 'int16', 'int8', 'uint8'];

function inferGather(a: GatherAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const idx = need(inputs, 1, where);
  const r = x.shape.length;
  checkAttr(r >= 1 && a.axis >= -r && a.axis < r, `axis ${a.axis} out of range for rank ${r}`, where);
  check(INDEX_DTYPES.includes(idx.dtype), `indices must be integers, got ${idx.dtype}`, where);
  const axis = normAxis(a.axis, r);
  return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
}

function runGather(a: GatherAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const idx = needT(inputs, 1);
  const [t] = inferGather(a, inputs, 'kernel');
  const axis = normAxis(a.axis, x.shape.length);
  const dim = x.shape[axis]!;
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const ni = idx.data.length;
  // Normalise indices once; they may come from the graph at run time, so range errors are reported here.
  const pos = new Int32Array(ni);
  for (let j = 0; j < ni; j++) {
    const v = idx.data[j]!;
    if (v < -dim || v >= dim) fail('SAC013', `index ${v} is out of range for axis ${axis} of size ${dim}`, 'Gather');
    pos[j] = v < 0 ? v + dim : v;
  }
  const out = allocData(x.dtype, outer * ni * inner);
  for (let o = 0, w = 0; o < outer; o++) {
    const base = o * dim * inner;
    for (let j = 0; j < ni; j++, w += inner) {
      const src = base + pos[j]! * inner;
      out.set(x.data.subarray(src, src + inner) as never, w);
    }
  }
  return [{ dtype: x.dtype, shape: t!.shape, data: out }];
}

export const gatherOp = defineOp<GatherAttrs>({
  arity: [2, 2],
  outputs: 1,
  traits: { scalePreserving: true },
  infer: inferGather,
  run: runGather,
});
