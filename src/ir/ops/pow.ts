// Pow: x ^ y elementwise with numpy broadcasting; the exponent may have another numeric dtype (opset >= 12).
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { broadcastIndex, broadcastShapes, need, needT } from './util.js';
import { broadcastStacked } from './batch-rules.js';

export type PowAttrs = Record<string, never>;

function inferPow(_a: PowAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const y = need(inputs, 1, where);
  return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, y.shape, where) }];
}

export const powOp = defineOp<PowAttrs>({
  arity: [2, 2],
  outputs: 1,
  traits: {},
  infer: inferPow,
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const y = needT(inputs, 1);
    const shape = broadcastShapes(x.shape, y.shape, 'kernel');
    const n = numel(shape);
    const out = allocData(x.dtype, n);
    const ix = broadcastIndex(x.shape, shape);
    const iy = broadcastIndex(y.shape, shape);
    const xd = x.data;
    const yd = y.data;
    for (let i = 0; i < n; i++) out[i] = Math.pow(xd[ix[i]!]!, yd[iy[i]!]!);
    return [{ dtype: x.dtype, shape, data: out }];
  },
  batch: broadcastStacked,
  cost: (_a, _i, outs) => ({ macs: numel(outs[0]!.shape) }),
});
