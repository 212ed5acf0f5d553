// Conv importer: resolves auto_pad to explicit pads and fills attribute defaults from the weight shape.
import type { ImportContext } from '../context.js';
import { checkAttr } from '../../ir/ops/util.js';
import type { ConvAttrs } from '../../ir/ops/conv.js';

/** Explicit [begin..., end...] pads for auto_pad SAME_UPPER/SAME_LOWER/VALID/NOTSET. */
export function resolvePads(ctx: ImportContext, inSpatial: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const r = kernel.length;
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = ctx.ints('pads', new Array(2 * r).fill(0));
    checkAttr(pads.length === 2 * r && pads.every((p) => p >= 0), `pads ${pads} must have ${2 * r} non-negative entries`, ctx.where);
    return pads;
  }
  if (autoPad === 'VALID') return new Array(2 * r).fill(0);
  checkAttr(autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER', `unknown auto_pad '${autoPad}'`, ctx.where);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(inSpatial[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inSpatial[i]!);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(autoPad === 'SAME_UPPER' ? total - small : small);
  }
  return [...begin, ...end];
}

export function importConv(ctx: ImportContext): number[] {
  const inputs = ctx.has(2) ? [ctx.input(0), ctx.input(1), ctx.input(2)] : [ctx.input(0), ctx.input(1)];
  return ctx.emit({ kind: 'Conv', attrs: convAttrs(ctx, ctx.type(0).shape, ctx.type(1).shape) }, inputs);
}

/** Conv's attributes with their defaults from the input and weight shapes (Conv and QLinearConv share them). */
export function convAttrs(ctx: ImportContext, xShape: readonly number[], wShape: readonly number[]): { group: number; kernel: number[]; strides: number[]; pads: number[]; dilations: number[] } {
  const x = { shape: xShape };
  const w = { shape: wShape };
  const r = w.shape.length - 2;
  checkAttr(r >= 1, `weight rank ${w.shape.length} is too small`, ctx.where);
  const kernel = ctx.ints('kernel_shape', w.shape.slice(2));
  const strides = ctx.ints('strides', new Array(r).fill(1));
  const dilations = ctx.ints('dilations', new Array(r).fill(1));
  checkAttr(strides.length === r && strides.every((s) => s >= 1), `strides ${strides} invalid`, ctx.where);
  checkAttr(dilations.length === r && dilations.every((s) => s >= 1), `dilations ${dilations} invalid`, ctx.where);
  const pads = resolvePads(ctx, x.shape.slice(2), kernel, strides, dilations);
  return { group: ctx.int('group', 1), kernel, strides, pads, dilations };
}

/** Conv's geometry attributes (kernel_shape, strides, dilations, pads or auto_pad, group) with ONNX defaults. */
export function convGeometry(ctx: ImportContext): ConvAttrs {
  return convAttrs(ctx, ctx.type(0).shape, ctx.type(1).shape);
}
