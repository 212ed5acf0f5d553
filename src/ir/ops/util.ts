// Shared helpers for op definitions: attribute/shape checks and numpy-style broadcasting.
import { fail } from '../../diagnostics.js';
import type { Tensor, TensorType } from '../tensor.js';
import { strides } from '../tensor.js';

/** Returns input k's type or fails naming the node. */
export function need(inputs: readonly (TensorType | undefined)[], k: number, where: string): TensorType {
  const t = inputs[k];
  if (!t) fail('SAC013', `input ${k} is required`, where);
  return t;
}

export function needT(inputs: readonly (Tensor | undefined)[], k: number): Tensor {
  const t = inputs[k];
  if (!t) throw new Error(`kernel input ${k} missing`);
  return t;
}

export function check(cond: boolean, detail: string, where: string): asserts cond {
  if (!cond) fail('SAC013', detail, where);
}

export function checkAttr(cond: boolean, detail: string, where: string): asserts cond {
  if (!cond) fail('SAC012', detail, where);
}

/** Numpy broadcast of two shapes; fails naming the node if incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[], where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    check(da === db || da === 1 || db === 1, `cannot broadcast [${a}] with [${b}]`, where);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides of `shape` as seen from a broadcast `outShape` (0 on broadcast axes).
 * Kernels walk the output and advance input offsets with these, avoiding per-element index math.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = strides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : s[i - off]!));
}

/**
 * Maps every output element to its offset in an input broadcast into `outShape`
 * (precomputed once per call so binary kernels are a single flat loop).
 */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = outShape.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  const bs = broadcastStrides(shape, outShape);
  const rank = outShape.length;
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      off += bs[d]!;
      if (counter[d]! < outShape[d]!) break;
      off -= bs[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/** Integer attributes list of the given length, defaulting to `fill`. */
export function ints(v: readonly number[] | undefined, n: number, fill: number): number[] {
  return v && v.length ? [...v] : new Array<number>(n).fill(fill);
}

/** Whether a float tensor holds a NaN (kernels that drop NaN are bypassed for it, so NaN propagates as in ONNX). */
export function hasNaN(d: ArrayLike<number>): boolean {
  for (let i = 0; i < d.length; i++) if (d[i] !== d[i]) return true;
  return false;
}
