// The sliding-window loop nest the C conv kernels share (ShiftConv, AdderConv): geometry, tap offsets, padding, loops.
import type { ConvAttrs } from '../../ir/ops/conv.js';
import { as2d } from '../../ir/ops/conv.js';
import type { TensorType } from '../../ir/tensor.js';
import { fail } from '../../diagnostics.js';
import type { KernelCtx } from './kernel.js';

export interface ConvWindow {
  N: number; H: number; W: number; OH: number; OW: number; group: number; cPerG: number; mPerG: number;
  strides: number[]; pads: [number, number, number, number]; padded: boolean; Hp: number; Wp: number;
  /** Tap t = (ci, kh, kw) reads the (padded) group buffer at a constant offset from the window origin. */
  tapOff: number[];
  /** The window origin's buffer: the zero-padded scratch copy `s` or the input `x0`. */
  src: 's' | 'x0';
}

/** The window geometry of a conv over x (NCHW or NCW) into y with M output channels. */
export function convWindow(ctx: KernelCtx, a: ConvAttrs, x: TensorType, y: TensorType, M: number): ConvWindow {
  const { k, s, p, d } = as2d(a);
  const two = x.shape.length === 4;
  const [N, C] = x.shape as [number, number];
  const H = two ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const OH = two ? y.shape[2]! : 1;
  const OW = y.shape[y.shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const cPerG = C / a.group;
  const mPerG = M / a.group;
  if (!Number.isInteger(cPerG) || !Number.isInteger(mPerG)) fail('SAC060', `group ${a.group} does not divide the channels`, ctx.where);
  const pads: [number, number, number, number] = [p[0]!, p[1]!, p[2]!, p[3]!];
  const padded = pads.some((v) => v > 0);
  const Hp = H + pads[0] + pads[2];
  const Wp = W + pads[1] + pads[3];
  const tapOff: number[] = [];
  for (let ci = 0; ci < cPerG; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) tapOff.push(ci * Hp * Wp + kh * d[0]! * Wp + kw * d[1]!);
  return { N, H, W, OH, OW, group: a.group, cPerG, mPerG, strides: s, pads, padded, Hp, Wp, tapOff, src: padded ? 's' : 'x0' };
}

/**
 * The loop nest over samples, groups, output channels m and output positions o (the window origin's offset in
 * `src`): `init` once per sample, `decode` and `next` before and after each channel's positions, `stmt` once per
 * output position (it writes *y++). Offsets step by adds only, kept opaque so gcc does not rebuild multiplies.
 */
export function convLoops(ctx: KernelCtx, w: ConvWindow, xt: string, parts: { init: string[]; decode: string[]; stmt: string[]; next: string[] }): string[] {
  const [pt, pl, pb, pr] = w.pads;
  return [
    `for (int32_t n = 0; n < ${w.N}; n++) {`,
    ...parts.init.map((l) => `  ${l}`),
    '  int32_t m = 0;',
    `  for (int32_t g = 0; g < ${w.group}; g++) {`,
    ...(w.padded ? [`    ${ctx.rt.pad(xt)}(x0, s, ${w.cPerG}, ${w.H}, ${w.W}, ${pt * w.Wp}, ${pb * w.Wp}, ${pl}, ${pr});`] : []),
    `    for (int32_t mm = 0; mm < ${w.mPerG}; mm++, m++) {`,
    ...parts.decode.map((l) => `      ${l}`),
    `      for (int32_t oh = 0, ro = 0; oh < ${w.OH}; oh++, ro += ${w.strides[0]! * w.Wp}) {`,
    '        SAC_OPAQUE(ro);',
    `        for (int32_t ow = 0, o = ro; ow < ${w.OW}; ow++, o += ${w.strides[1]!}) {`,
    '          SAC_OPAQUE(o);',
    ...parts.stmt.map((l) => `          ${l}`),
    '        }',
    '        SAC_OPAQUE(y);',
    '      }',
    ...parts.next.map((l) => `      ${l}`),
    '    }',
    `    x0 += ${w.cPerG * w.H * w.W};`,
    '    SAC_OPAQUE(x0);',
    '    SAC_OPAQUE(y);',
    '  }',
    '}',
  ];
}
