// PRelu: x for x >= 0, slope * x otherwise; slope broadcasts unidirectionally onto x (importer aligns legacy [C] slopes).
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { broadcastIndex, broadcastShapes, check, need, needT } from './util.js';
import { broadcastStacked } from './batch-rules.js';

export type PReluAttrs = Record<string, never>;

function inferPRelu(_a: PReluAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const s = need(inputs, 1, where);
  check(x.dtype === s.dtype, `slope dtype ${s.dtype} differs from input dtype ${x.dtype}`, where);
  const out = broadcastShapes(x.shape, s.shape, where);
  check(out.length === x.shape.length && out.every((d, i) => d === x.shape[i]), `slope [${s.shape}] does not broadcast onto input [${x.shape}]`, where);
  return [x];
}

export const preluOp = defineOp<PReluAttrs>({
  arity: [2, 2],
  outputs: 1,
  traits: {},
  infer: inferPRelu,
  run: (_a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    const s = needT(inputs, 1);
    const xd = x.data;
    const sd = s.data;
    const out = allocData(x.dtype, xd.length);
    const is = broadcastIndex(s.shape, x.shape);
    for (let i = 0; i < xd.length; i++) out[i] = xd[i]! >= 0 ? xd[i]! : sd[is[i]!]! * xd[i]!;
    return [{ dtype: x.dtype, shape: x.shape, data: out }];
  },
  // The output takes x's shape, so x must be per-sample.
  batch: (a, inputs, stacked) => stacked[0]! && broadcastStacked(a, inputs, stacked),
  cost: (_a, _i, outs) => ({ macs: outs[0]!.shape.reduce((p, q) => p * q, 1) }),
});
