// Transpose: permutes axes (out.shape[i] = in.shape[perm[i]]).
import { allocData, strides, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, need, needT } from './util.js';
import { stridedCopy } from './layout.js';

export type TransposeAttrs = { perm: readonly number[] };

function inferTranspose(a: TransposeAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const r = x.shape.length;
  const ok = a.perm.length === r && new Set(a.perm).size === r && a.perm.every((p) => Number.isInteger(p) && p >= 0 && p < r);
  checkAttr(ok, `perm [${a.perm}] is not a permutation of ${r} axes`, where);
  return [{ dtype: x.dtype, shape: a.perm.map((p) => x.shape[p]!) }];
}

export const transposeOp = defineOp<TransposeAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: { scalePreserving: true },
  infer: inferTranspose,
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const [t] = inferTranspose(a, inputs, 'kernel');
    const s = strides(x.shape);
    const out = allocData(x.dtype, x.data.length);
    // Walking the output in order reads the input with permuted strides.
    stridedCopy(out, 0, x.data, 0, t!.shape, a.perm.map((p) => s[p]!));
    return [{ dtype: x.dtype, shape: t!.shape, data: out }];
  },
  // A perm keeping axis 0 first moves data within each dim-0 row.
  batch: (a) => a.perm[0] === 0,
});
