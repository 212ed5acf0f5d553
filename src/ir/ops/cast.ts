// Cast: converts element type (float -> int truncates toward zero, -> bool tests != 0 (NaN is true)).
import { allocData, type DType, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type CastAttrs = { to: DType };

const DTYPES: readonly string[] = ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'];

export const castOp = defineOp<CastAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: (a, inputs, where) => {
    const x = need(inputs, 0, where);
    checkAttr(DTYPES.includes(a.to), `unknown target dtype '${a.to}'`, where);
    return [{ dtype: a.to, shape: x.shape }];
  },
  run: (a, inputs): Tensor[] => {
    const x = needT(inputs, 0);
    if (x.dtype === a.to) return [x];
    const d = x.data;
    const n = d.length;
    const out = allocData(a.to, n);
    // Typed-array stores already truncate and wrap for the narrow ints; int64 lives in a Float64Array so truncate by hand.
    if (a.to === 'bool') for (let i = 0; i < n; i++) out[i] = d[i]! !== 0 ? 1 : 0;
    else if (a.to === 'int64') for (let i = 0; i < n; i++) { const v = Math.trunc(d[i]!); out[i] = Number.isNaN(v) ? 0 : v + 0; } // + 0 turns -0 into 0
    else for (let i = 0; i < n; i++) out[i] = d[i]!;
    return [{ dtype: a.to, shape: x.shape, data: out }];
  },
  batch: firstStacked,
});
