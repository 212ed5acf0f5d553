// Expand: broadcasts the input to a static shape (the importer resolves ONNX's shape input into the final shape).
import { allocData, numel, sameShape, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { broadcastIndex, broadcastShapes, check, need, needT } from './util.js';

/** `shape` is the output shape, i.e. broadcast(input shape, ONNX shape input). */
export type ExpandAttrs = { shape: readonly number[] };

function inferExpand(a: ExpandAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const out = broadcastShapes(x.shape, a.shape, where);
  check(sameShape(out, a.shape), `input [${x.shape}] does not broadcast to [${a.shape}]`, where);
  return [{ dtype: x.dtype, shape: [...a.shape] }];
}

export const expandOp = defineOp<ExpandAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferExpand,
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const n = numel(a.shape);
    const out = allocData(x.dtype, n);
    const idx = broadcastIndex(x.shape, a.shape);
    const d = x.data;
    for (let i = 0; i < n; i++) out[i] = d[idx[i]!]!;
    return [{ dtype: x.dtype, shape: [...a.shape], data: out }];
  },
});
