// Shared inference and kernel for ReduceMean/ReduceSum: reduce over static axes, optionally keeping them as size 1.
import { fail } from '../../diagnostics.js';
import { numel, type Tensor, type TensorType } from '../tensor.js';
import { broadcastIndex, checkAttr, need, needT } from './util.js';

/** axes are normalised (non-negative, sorted by the importer); an empty list reduces every axis. */
export type ReduceAttrs = { axes: readonly number[]; keepdims: boolean };

/** Shape with the reduced axes set to 1 (the keepdims shape). */
function keptShape(a: ReduceAttrs, shape: readonly number[]): number[] {
  return shape.map((d, i) => (a.axes.length === 0 || a.axes.includes(i) ? 1 : d));
}

export function inferReduce(a: ReduceAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const r = x.shape.length;
  checkAttr(a.axes.every((ax) => Number.isInteger(ax) && ax >= 0 && ax < r) && new Set(a.axes).size === a.axes.length, `axes [${a.axes}] invalid for rank ${r}`, where);
  if (x.dtype !== 'float32') fail('SAC015', `expects a float32 input, got ${x.dtype}`, where);
  const kept = keptShape(a, x.shape);
  const shape = a.keepdims ? kept : x.shape.filter((_, i) => !(a.axes.length === 0 || a.axes.includes(i)));
  return [{ dtype: x.dtype, shape }];
}

/**
 * Reducing axes other than 0 sums each output's elements within one dim-0 row, in the same order when rows are
 * stacked (an empty axes list reduces dim 0 too).
 */
export function reduceBatch(a: ReduceAttrs): boolean {
  return a.axes.length > 0 && !a.axes.includes(0);
}

/** Sums (and for mean divides) in float64 so long reductions do not drift. */
export function runReduce(a: ReduceAttrs, inputs: readonly (Tensor | undefined)[], mean: boolean): Tensor[] {
  const x = needT(inputs, 0);
  const [type] = inferReduce(a, inputs, 'kernel');
  const kept = keptShape(a, x.shape);
  // Each input element's offset in the (keepdims) output: the reduction is one flat accumulate loop.
  const idx = broadcastIndex(kept, x.shape);
  const acc = new Float64Array(numel(kept));
  const d = x.data;
  for (let i = 0; i < d.length; i++) acc[idx[i]!] += d[i]!;
  const out = new Float32Array(acc.length);
  const count = acc.length === 0 ? 1 : d.length / acc.length;
  if (mean) for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / count;
  else for (let i = 0; i < acc.length; i++) out[i] = acc[i]!;
  return [{ dtype: x.dtype, shape: type!.shape, data: out }];
}
