// Slice: ONNX slicing (starts/ends/axes/steps, negative indices, clamping, negative steps) on static shapes.
import { allocData, normAxis, strides, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, need, needT } from './util.js';
import { stridedCopy } from './layout.js';

/** One entry per sliced axis, with ONNX meaning (the importer saturates huge values like INT64_MAX to the dim). */
export type SliceAttrs = { starts: readonly number[]; ends: readonly number[]; axes: readonly number[]; steps: readonly number[] };

/** Per input axis: first index read, step, and output length. */
function resolve(a: SliceAttrs, x: TensorType, where: string): { start: number[]; step: number[]; shape: number[] } {
  const r = x.shape.length;
  const n = a.axes.length;
  checkAttr(a.starts.length === n && a.ends.length === n && a.steps.length === n, 'starts, ends, axes and steps must have equal lengths', where);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const shape = [...x.shape];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    checkAttr(a.axes[i]! >= -r && a.axes[i]! < r, `axis ${a.axes[i]} out of range for rank ${r}`, where);
    const ax = normAxis(a.axes[i]!, r);
    checkAttr(!seen.has(ax), `axis ${ax} is sliced twice`, where);
    seen.add(ax);
    const dim = x.shape[ax]!;
    const st = a.steps[i]!;
    checkAttr(Number.isInteger(st) && st !== 0, `step ${st} must be a non-zero integer`, where);
    let b = a.starts[i]! < 0 ? a.starts[i]! + dim : a.starts[i]!;
    let e = a.ends[i]! < 0 ? a.ends[i]! + dim : a.ends[i]!;
    // Clamping per the spec: negative steps may run down to (exclusive) -1.
    if (st > 0) { b = Math.min(Math.max(b, 0), dim); e = Math.min(Math.max(e, 0), dim); }
    else { b = Math.min(Math.max(b, 0), dim - 1); e = Math.min(Math.max(e, -1), dim - 1); }
    start[ax] = b;
    step[ax] = st;
    shape[ax] = Math.max(0, st > 0 ? Math.ceil((e - b) / st) : Math.ceil((b - e) / -st));
  }
  return { start, step, shape };
}

export const sliceOp = defineOp<SliceAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { scalePreserving: true },
  infer: (a, inputs, where) => {
    const x = need(inputs, 0, where);
    return [{ dtype: x.dtype, shape: resolve(a, x, where).shape }];
  },
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const { start, step, shape } = resolve(a, x, 'kernel');
    const s = strides(x.shape);
    const base = start.reduce((p, b, i) => p + b * s[i]!, 0);
    const out = allocData(x.dtype, shape.reduce((p, q) => p * q, 1));
    stridedCopy(out, 0, x.data, base, shape, s.map((v, i) => v * step[i]!));
    return [{ dtype: x.dtype, shape, data: out }];
  },
  // Slices that leave axis 0 whole read each dim-0 row alone.
  batch: (a, inputs) => a.axes.every((ax) => normAxis(ax, inputs[0]!.shape.length) > 0),
});
