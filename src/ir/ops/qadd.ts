// QAdd: fixed-point add with broadcasting; operands are aligned to the finer frac, summed in int32, then requantised.
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { requant } from '../fixed-point.js';
import { broadcastIndex, broadcastShapes, checkAttr, needT } from './util.js';
import { actDtype, checkAct, checkShift, needInt, type ActAttrs } from './shift-common.js';
import { broadcastStacked } from './batch-rules.js';

/** fracA/fracB/fracOut are the operands' and result's fractional bit counts (real = q * 2^-frac). */
export type QAddAttrs = ActAttrs & { fracA: number; fracB: number; fracOut: number };

/** Alignment shifts and output shift of the doc's rule: F = max(fa, fb). */
export function qaddShifts(a: QAddAttrs): { sa: number; sb: number; r: number } {
  const F = Math.max(a.fracA, a.fracB);
  return { sa: F - a.fracA, sb: F - a.fracB, r: F - a.fracOut };
}

function inferQAdd(a: QAddAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkAct(a, where);
  checkAttr([a.fracA, a.fracB, a.fracOut].every(Number.isInteger), 'fracA/fracB/fracOut must be integers', where);
  const { sa, sb, r } = qaddShifts(a);
  checkShift(sa, 'alignment shift', where);
  checkShift(sb, 'alignment shift', where);
  checkShift(r, 'output shift', where);
  const x = needInt(inputs, 0, ['int8', 'int16'], 'QAdd operand A', where);
  const y = needInt(inputs, 1, ['int8', 'int16'], 'QAdd operand B', where);
  return [{ dtype: actDtype(a.bits), shape: broadcastShapes(x.shape, y.shape, where) }];
}

function runQAdd(a: QAddAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const y = needT(inputs, 1);
  const [outType] = inferQAdd(a, inputs, 'kernel');
  const shape = outType!.shape;
  const n = numel(shape);
  const out = allocData(outType!.dtype, n);
  const xd = x.data;
  const yd = y.data;
  const ia = xd.length === n ? null : broadcastIndex(x.shape, shape);
  const ib = yd.length === n ? null : broadcastIndex(y.shape, shape);
  const { sa, sb, r } = qaddShifts(a);
  const { bits, actMin, actMax } = a;
  for (let i = 0; i < n; i++) {
    const v = ((xd[ia ? ia[i]! : i]! << sa) + (yd[ib ? ib[i]! : i]! << sb)) | 0;
    const q = requant(v, r, bits);
    out[i] = q < actMin ? actMin : q > actMax ? actMax : q;
  }
  return [{ dtype: outType!.dtype, shape, data: out }];
}

export const qaddOp = defineOp<QAddAttrs>({
  arity: [2, 2],
  outputs: 1,
  traits: {},
  infer: inferQAdd,
  run: runQAdd,
  batch: broadcastStacked,
});
