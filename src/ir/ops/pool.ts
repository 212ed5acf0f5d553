// Shared sliding-window pooling (MaxPool, AveragePool): output geometry and one 1-D/2-D kernel for both.
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { check, checkAttr, need, needT } from './util.js';
import { windowOut } from './conv.js';

/** Spatial attrs have one entry per spatial dim; pads are [begin..., end...] as in ONNX. */
export type PoolGeometry = {
  kernel: readonly number[];
  strides: readonly number[];
  pads: readonly number[];
  dilations: readonly number[];
  ceilMode: boolean;
};

/** Output size along one axis; in ceil mode a window starting inside the end padding is dropped (ONNX/ORT). */
function poolOut(a: PoolGeometry, i: number, inSize: number): number {
  const r = a.kernel.length;
  const o = windowOut(inSize, a.kernel[i]!, a.strides[i]!, a.pads[i]!, a.pads[i + r]!, a.dilations[i]!, a.ceilMode);
  return a.ceilMode && (o - 1) * a.strides[i]! >= inSize + a.pads[i]! ? o - 1 : o;
}

export function inferPool(a: PoolGeometry, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const r = a.kernel.length;
  checkAttr(r === 1 || r === 2, `only 1-D and 2-D pooling is supported (got ${r}-D)`, where);
  checkAttr(a.strides.length === r && a.dilations.length === r && a.pads.length === 2 * r, 'strides/dilations/pads do not match kernel_shape', where);
  checkAttr([...a.kernel, ...a.strides, ...a.dilations].every((v) => Number.isInteger(v) && v >= 1), 'kernel_shape, strides and dilations must be positive', where);
  checkAttr(a.pads.every((p, j) => p >= 0 && p < (a.kernel[j % r]! - 1) * a.dilations[j % r]! + 1), `pads ${a.pads} must be non-negative and smaller than the window`, where);
  check(x.shape.length === r + 2, `input rank ${x.shape.length} does not match a ${r}-D pool`, where);
  const spatial: number[] = [];
  for (let i = 0; i < r; i++) {
    const o = poolOut(a, i, x.shape[i + 2]!);
    check(o >= 1, `output spatial size ${o} is empty`, where);
    spatial.push(o);
  }
  return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...spatial] }];
}

/** Per output position along one axis: first tap's input index, in-bounds tap range, taps inside the padded extent. */
export interface AxisPlan { start: Int32Array; lo: Int32Array; hi: Int32Array; padded: Int32Array }

export function axisPlan(out: number, inSize: number, k: number, s: number, padB: number, padE: number, d: number): AxisPlan {
  const p: AxisPlan = { start: new Int32Array(out), lo: new Int32Array(out), hi: new Int32Array(out), padded: new Int32Array(out) };
  for (let o = 0; o < out; o++) {
    const start = o * s - padB;
    let lo = k;
    let hi = 0;
    let padded = 0;
    for (let t = 0; t < k; t++) {
      const i = start + t * d;
      if (i >= 0 && i < inSize) { lo = Math.min(lo, t); hi = t + 1; }
      if (i >= -padB && i < inSize + padE) padded++;
    }
    p.start[o] = start; p.lo[o] = lo; p.hi[o] = Math.max(hi, lo); p.padded[o] = padded;
  }
  return p;
}

/** Runs max or average pooling; 1-D inputs are viewed as 2-D with height 1. */
/** 1-D/2-D pooling geometry in the 2-D view (1-D uses height 1) with per-axis window plans. */
export function windowPlan(a: PoolGeometry, inShape: readonly number[], outShape: readonly number[]) {
  const two = a.kernel.length === 2;
  const H = two ? inShape[2]! : 1;
  const W = inShape[inShape.length - 1]!;
  const OH = two ? outShape[2]! : 1;
  const OW = outShape[outShape.length - 1]!;
  const hp = two ? axisPlan(OH, H, a.kernel[0]!, a.strides[0]!, a.pads[0]!, a.pads[2]!, a.dilations[0]!) : axisPlan(1, 1, 1, 1, 0, 0, 1);
  const wp = two ? axisPlan(OW, W, a.kernel[1]!, a.strides[1]!, a.pads[1]!, a.pads[3]!, a.dilations[1]!)
    : axisPlan(OW, W, a.kernel[0]!, a.strides[0]!, a.pads[0]!, a.pads[1]!, a.dilations[0]!);
  return { H, W, OH, OW, hp, wp, dh: two ? a.dilations[0]! : 1, dw: a.dilations[a.kernel.length - 1]! };
}

export function runPool(a: PoolGeometry, mode: 'max' | 'avg', countIncludePad: boolean, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [outType] = inferPool(a, inputs, 'kernel');
  const [N, C] = x.shape as [number, number];
  const { H, W, OH, OW, hp, wp, dh, dw } = windowPlan(a, x.shape, outType!.shape);
  const xd = x.data;
  const out = allocData(x.dtype, N * C * OH * OW);
  const isMax = mode === 'max';
  for (let plane = 0; plane < N * C; plane++) {
    const xBase = plane * H * W;
    const oBase = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = hp.start[oh]!;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = wp.start[ow]!;
        let acc = isMax ? -Infinity : 0;
        for (let th = hp.lo[oh]!; th < hp.hi[oh]!; th++) {
          const row = xBase + (h0 + th * dh) * W + w0;
          for (let tw = wp.lo[ow]!; tw < wp.hi[ow]!; tw++) {
            const v = xd[row + tw * dw]!;
            if (isMax) { if (!(acc >= v)) acc = v; } else acc += v;
          }
        }
        if (!isMax) {
          // Without count_include_pad only in-bounds taps count; with it, taps in the declared padding count too.
          const count = countIncludePad ? hp.padded[oh]! * wp.padded[ow]! : (hp.hi[oh]! - hp.lo[oh]!) * (wp.hi[ow]! - wp.lo[ow]!);
          acc /= count;
        }
        out[oBase + oh * OW + ow] = acc;
      }
    }
  }
  return [{ dtype: x.dtype, shape: outType!.shape, data: out }];
}
