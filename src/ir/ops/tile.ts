// Tile: repeats the input `repeats[i]` times along each axis (repeats is a static attribute).
import { allocData, strides, type Tensor, type TensorType, type TypedData } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, need, needT } from './util.js';

export type TileAttrs = { repeats: readonly number[] };

function inferTile(a: TileAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  checkAttr(a.repeats.length === x.shape.length, `repeats [${a.repeats}] must have one entry per input axis (rank ${x.shape.length})`, where);
  checkAttr(a.repeats.every((r) => Number.isInteger(r) && r >= 0), `repeats [${a.repeats}] must be non-negative integers`, where);
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * a.repeats[i]!) }];
}

/**
 * Fills the block of axis `dim` at `outOff`: first the input's own extent (recursively), then
 * copies of that block for the remaining repeats, so the work is mostly bulk copyWithin.
 */
function tileAxis(x: Tensor, reps: readonly number[], out: TypedData, inS: number[], outS: number[], dim: number, inOff: number, outOff: number): void {
  const len = x.shape[dim]!;
  if (dim === x.shape.length - 1) {
    out.set(x.data.subarray(inOff, inOff + len) as never, outOff);
  } else {
    for (let i = 0; i < len; i++) tileAxis(x, reps, out, inS, outS, dim + 1, inOff + i * inS[dim]!, outOff + i * outS[dim]!);
  }
  const block = len * outS[dim]!;
  for (let r = 1; r < reps[dim]!; r++) out.copyWithin(outOff + r * block, outOff, outOff + block);
}

export const tileOp = defineOp<TileAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferTile,
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const [type] = inferTile(a, inputs, 'kernel');
    const shape = type!.shape;
    const out = allocData(x.dtype, shape.reduce((p, q) => p * q, 1));
    if (out.length === 0) return [{ dtype: x.dtype, shape, data: out }];
    if (shape.length === 0) out[0] = x.data[0]!;
    else tileAxis(x, a.repeats, out, strides(x.shape), strides(shape), 0, 0, 0);
    return [{ dtype: x.dtype, shape, data: out }];
  },
});
