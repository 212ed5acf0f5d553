// QAveragePool: integer (global) average pooling; the window sum is multiplied by 1/N as CSD shift-adds.
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { csdApply, csdDigits, requant } from '../fixed-point.js';
import { checkAttr, needT } from './util.js';
import { inferPool, windowPlan, type PoolGeometry } from './pool.js';
import { inferGlobalPool } from './global-pool.js';
import { actDtype, checkShift, needInt } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/**
 * Geometry as AveragePool (ignored when `global`). `digits` are csdDigits(1 / N, D) of the full window
 * (D = digits.length - 1 fractional digits); `shiftOut` = D + f_in - f_out; `bits` is the output width.
 */
export type QAveragePoolAttrs = PoolGeometry & {
  countIncludePad: boolean;
  global: boolean;
  digits: readonly number[];
  shiftOut: number;
  bits: number;
};

/** Elements in the full window: all spatial elements when global, else the kernel volume. */
export function qavgWindow(a: QAveragePoolAttrs, inShape: readonly number[]): number {
  return a.global ? numel(inShape.slice(2)) : numel(a.kernel);
}

/**
 * CSD digits of 1/count with D fractional digits, memoised: windows clipped by padding (count_include_pad = 0
 * or ceil mode) use their own count, and backends precompute the same table from csdDigits.
 */
const digitCache = new Map<string, Int8Array>();
export function reciprocalDigits(count: number, D: number): Int8Array {
  const key = `${count}/${D}`;
  let d = digitCache.get(key);
  if (!d) { d = csdDigits(1 / count, D); digitCache.set(key, d); }
  return d;
}

function inferQAvg(a: QAveragePoolAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkAttr(a.bits === 8 || a.bits === 16, `bits must be 8 or 16 (got ${a.bits})`, where);
  checkShift(a.shiftOut, 'shiftOut', where);
  const x = needInt(inputs, 0, ['int8', 'int16'], 'QAveragePool input', where);
  const [t] = a.global ? inferGlobalPool(inputs, where) : inferPool(a, inputs, where);
  const D = a.digits.length - 1;
  checkAttr(D >= 0 && D <= 30, `digits must hold 1..31 entries (got ${a.digits.length})`, where);
  const want = reciprocalDigits(qavgWindow(a, x.shape), D);
  checkAttr(a.digits.every((v, j) => v === want[j]), `digits [${a.digits}] are not the CSD of 1/${qavgWindow(a, x.shape)}`, where);
  return [{ dtype: actDtype(a.bits), shape: t!.shape }];
}

function runQAvg(a: QAveragePoolAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [outType] = inferQAvg(a, inputs, 'kernel');
  const D = a.digits.length - 1;
  const full = Int8Array.from(a.digits);
  const N = qavgWindow(a, x.shape);
  const xd = x.data;
  const { shiftOut, bits } = a;
  const planes = x.shape[0]! * x.shape[1]!;
  if (a.global) {
    const out = allocData(outType!.dtype, planes);
    for (let p = 0; p < planes; p++) {
      let s = 0;
      for (let i = p * N; i < (p + 1) * N; i++) s = (s + xd[i]!) | 0;
      out[p] = requant(csdApply(s, full), shiftOut, bits);
    }
    return [{ dtype: outType!.dtype, shape: outType!.shape, data: out }];
  }
  const { H, W, OH, OW, hp, wp, dh, dw } = windowPlan(a, x.shape, outType!.shape);
  const out = allocData(outType!.dtype, planes * OH * OW);
  for (let plane = 0; plane < planes; plane++) {
    const xBase = plane * H * W;
    const oBase = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = hp.start[oh]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = wp.start[ow]!;
        let s = 0;
        for (let th = hp.lo[oh]!; th < hp.hi[oh]!; th++) {
          const row = xBase + (h0 + th * dh) * W + w0;
          for (let tw = wp.lo[ow]!; tw < wp.hi[ow]!; tw++) s = (s + xd[row + tw * dw]!) | 0;
        }
        // Same counting rule as the float AveragePool (pool.ts); padding taps add the zero point 0.
        const count = a.countIncludePad ? hp.padded[oh]! * wp.padded[ow]! : (hp.hi[oh]! - hp.lo[oh]!) * (wp.hi[ow]! - wp.lo[ow]!);
        const digits = count === N ? full : reciprocalDigits(count, D);
        out[oBase + oh * OW + ow] = requant(csdApply(s, digits), shiftOut, bits);
      }
    }
  }
  return [{ dtype: outType!.dtype, shape: outType!.shape, data: out }];
}

export const qAveragePoolOp = defineOp<QAveragePoolAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferQAvg,
  run: runQAvg,
  batch: firstStacked,
});
