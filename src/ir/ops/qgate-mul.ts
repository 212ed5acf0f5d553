// QGateMul: activation times a power-of-two gate, y = clamp(requant(x, k + fracX - fracOut)) for gate code k + 1.
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { requant } from '../fixed-point.js';
import { check, needT } from './util.js';
import { actDtype, checkAct, needInt, type ActAttrs } from './shift-common.js';

/**
 * The gate operand holds int8 codes (a Lut of the gate's activation builds them): 0 is a zero gate, c in
 * 1..maxCode the gate 2^-(c-1). The gate has the activation's shape or [N, C, 1, ...] (squeeze-and-excitation).
 */
export type QGateMulAttrs = ActAttrs & { fracX: number; fracOut: number; maxCode: number };

/** Whether gate shape `g` is per element or per channel of activation shape `x`. */
export function gateLayout(x: readonly number[], g: readonly number[]): 'same' | 'channel' | undefined {
  if (g.length !== x.length) return undefined;
  if (g.every((d, i) => d === x[i])) return 'same';
  return x.length >= 2 && g[0] === x[0] && g[1] === x[1] && g.slice(2).every((d) => d === 1) ? 'channel' : undefined;
}

function inferQGateMul(a: QGateMulAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkAct(a, where);
  const x = needInt(inputs, 0, ['int8', 'int16'], 'QGateMul input', where);
  const g = needInt(inputs, 1, ['int8'], 'QGateMul gate', where);
  check(gateLayout(x.shape, g.shape) !== undefined, `gate [${g.shape}] is neither the input's shape [${x.shape}] nor per channel`, where);
  // Every shift k + fracX - fracOut stays within what requant takes without wrapping (numerics.md).
  check(Number.isInteger(a.maxCode) && a.maxCode >= 1 && a.maxCode - 1 + a.fracX - a.fracOut <= 31 && a.fracX - a.fracOut >= -a.bits,
    `gate shifts ${a.fracX - a.fracOut}..${a.maxCode - 1 + a.fracX - a.fracOut} are out of range`, where);
  return [{ dtype: actDtype(a.bits), shape: [...x.shape] }];
}

function runQGateMul(a: QGateMulAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const g = needT(inputs, 1);
  const [t] = inferQGateMul(a, inputs, 'kernel');
  const per = gateLayout(x.shape, g.shape) === 'same' ? 1 : x.data.length / g.data.length;
  const out = allocData(t!.dtype, x.data.length);
  const base = a.fracX - a.fracOut;
  for (let j = 0; j < g.data.length; j++) {
    const code = Math.max(0, Math.min(a.maxCode, g.data[j]!));
    for (let i = j * per; i < (j + 1) * per; i++) {
      const q = code === 0 ? 0 : requant(x.data[i]!, code - 1 + base, a.bits);
      out[i] = q < a.actMin ? a.actMin : q > a.actMax ? a.actMax : q;
    }
  }
  return [{ dtype: t!.dtype, shape: t!.shape, data: out }];
}

export const qGateMulOp = defineOp<QGateMulAttrs>({
  arity: [2, 2],
  outputs: 1,
  traits: {},
  infer: inferQGateMul,
  run: runQGateMul,
  batch: (_a, _i, stacked) => stacked.every((s) => s),
});
