// Conv: 1-D/2-D convolution with groups (depthwise when group == channels), explicit pads, strides, dilations.
import { floatTensor, type Tensor, type TensorType } from '../tensor.js';
import { dotF32 } from './dot-block.js';
import { im2row, scratchF32 } from './im2col.js';
import { defineOp } from '../op.js';
import { check, checkAttr, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

/** Spatial attrs have one entry per spatial dim; pads are [begin..., end...] as in ONNX. */
export type ConvAttrs = {
  group: number;
  kernel: readonly number[];
  strides: readonly number[];
  pads: readonly number[];
  dilations: readonly number[];
  /**
   * Every weight is 0 or a signed power of two times one factor per output channel (a DeepShift layer imported as
   * ai.shiftaddc ShiftConv, a folded BatchNorm keeping the property): lowering encodes it exactly, one term per weight.
   */
  pow2?: boolean;
};

/** Output spatial size of a sliding window (shared with pooling). */
export function windowOut(inSize: number, k: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceil = false): number {
  const span = inSize + padBegin + padEnd - ((k - 1) * dilation + 1);
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

function inferConv(a: ConvAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const w = need(inputs, 1, where);
  const r = a.kernel.length;
  checkAttr(r === 1 || r === 2, `only 1-D and 2-D convolutions are supported (got ${r}-D)`, where);
  check(x.shape.length === r + 2 && w.shape.length === r + 2, `input rank ${x.shape.length} / weight rank ${w.shape.length} do not match a ${r}-D conv`, where);
  checkAttr(a.group >= 1 && x.shape[1]! % a.group === 0 && w.shape[0]! % a.group === 0, `group ${a.group} does not divide channels`, where);
  check(w.shape[1]! * a.group === x.shape[1], `weight expects ${w.shape[1]! * a.group} input channels, input has ${x.shape[1]}`, where);
  const b = inputs[2];
  if (b) check(b.shape.length === 1 && b.shape[0] === w.shape[0], `bias shape [${b.shape}] does not match ${w.shape[0]} output channels`, where);
  const spatial: number[] = [];
  for (let i = 0; i < r; i++) {
    check(w.shape[i + 2] === a.kernel[i], `kernel_shape ${a.kernel} does not match weight [${w.shape}]`, where);
    const o = windowOut(x.shape[i + 2]!, a.kernel[i]!, a.strides[i]!, a.pads[i]!, a.pads[i + r]!, a.dilations[i]!);
    check(o >= 1, `output spatial size ${o} is empty`, where);
    spatial.push(o);
  }
  return [{ dtype: x.dtype, shape: [x.shape[0]!, w.shape[0]!, ...spatial] }];
}

/** Views a 1-D conv as 2-D with height 1 so one kernel serves both. */
export function as2d(a: ConvAttrs): { k: number[]; s: number[]; p: number[]; d: number[] } {
  if (a.kernel.length === 2) return { k: [...a.kernel], s: [...a.strides], p: [...a.pads], d: [...a.dilations] };
  return { k: [1, a.kernel[0]!], s: [1, a.strides[0]!], p: [0, a.pads[0]!, 0, a.pads[1]!], d: [1, a.dilations[0]!] };
}

function runConv(a: ConvAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const w = needT(inputs, 1);
  const bias = inputs[2];
  const [outType] = inferConv(a, inputs, 'kernel');
  const { k, s, p, d } = as2d(a);
  const [N, C] = x.shape as [number, number];
  const H = x.shape.length === 4 ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = w.shape[0]!;
  const OH = outType!.shape.length === 4 ? outType!.shape[2]! : 1;
  const OW = outType!.shape[outType!.shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const cPerG = C / a.group;
  const mPerG = M / a.group;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const P = OH * OW;
  const D = cPerG * KH * KW;
  const bd = bias ? (bias.data as Float32Array) : undefined;
  const out = floatTensor(outType!.shape);
  const geo = { cPerG, H, W, KH, KW, OH, OW, s, p, d };
  const od = out.data as Float32Array;
  // A 1x1 stride-1 unpadded conv reads its input in place ([taps, positions]); others go through im2row.
  const direct = KH === 1 && KW === 1 && s[0] === 1 && s[1] === 1 && p.every((v) => v === 0);
  const rows = direct ? null : scratchF32(P * D);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < a.group; g++) {
      const xg = (n * C + g * cPerG) * H * W;
      const m0 = g * mPerG;
      if (rows) im2row(xd, xg, rows, geo);
      const shape = rows ? { M: mPerG, P, D, wOff: m0 * D, xOff: 0, sp: D, st: 1 } : { M: mPerG, P, D, wOff: m0 * D, xOff: xg, sp: 1, st: P };
      dotF32(wd, rows ?? xd, shape, bd, m0, od, (n * M + m0) * P);
    }
  }
  return [out];
}


export const convOp = defineOp<ConvAttrs>({
  arity: [2, 3],
  outputs: 1,
  traits: { weightLayer: true, fusesActivation: true },
  infer: inferConv,
  run: runConv,
  batch: firstStacked,
  cost: (a, inputs, outs) => {
    const w = inputs[1]!;
    const perOut = w.shape.slice(1).reduce((p, q) => p * q, 1);
    return { macs: outs[0]!.shape.reduce((p, q) => p * q, 1) * perOut };
  },
});
