// Shared helpers for data-movement ops (Transpose, Slice, Concat, Split): strided copies over typed arrays.
import type { TypedData } from '../tensor.js';

/**
 * Copies an `outShape` block from `src` into `dst` (row-major, starting at `dstBase`), reading
 * `src[srcBase + sum(i[d] * srcStrides[d])]`. Strides may be negative (reversed slices) or permuted
 * (transposes). The innermost axis is a plain loop; outer axes advance an odometer.
 */
export function stridedCopy(dst: TypedData, dstBase: number, src: TypedData, srcBase: number,
  outShape: readonly number[], srcStrides: readonly number[]): void {
  const rank = outShape.length;
  if (rank === 0) { dst[dstBase] = src[srcBase]!; return; }
  for (const d of outShape) if (d === 0) return;
  const inner = outShape[rank - 1]!;
  const innerStride = srcStrides[rank - 1]!;
  const counter = new Array<number>(rank - 1).fill(0);
  let off = srcBase;
  let o = dstBase;
  for (;;) {
    for (let i = 0, s = off; i < inner; i++, s += innerStride) dst[o++] = src[s]!;
    // Advance the outer odometer; stop after the last row.
    let d = rank - 2;
    for (; d >= 0; d--) {
      counter[d]!++;
      off += srcStrides[d]!;
      if (counter[d]! < outShape[d]!) break;
      off -= srcStrides[d]! * outShape[d]!;
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}
