// Pooling importers: MaxPool/AveragePool geometry (auto_pad, dilations, ceil_mode) resolved to explicit attrs.
import { checkAttr } from '../../ir/ops/util.js';
import type { PoolGeometry } from '../../ir/ops/pool.js';
import type { ImportContext } from '../context.js';
import { resolvePads } from './conv.js';

/** Opset gates: ceil_mode from 10 (both), dilations from 10 (MaxPool) / 19 (AveragePool); absent attrs read as defaults. */
function geometry(ctx: ImportContext): PoolGeometry {
  const x = ctx.type(0);
  const r = x.shape.length - 2;
  checkAttr(r >= 1, `input rank ${x.shape.length} is too small for pooling`, ctx.where);
  checkAttr(ctx.hasAttr('kernel_shape'), "required attribute 'kernel_shape' is missing", ctx.where);
  const kernel = ctx.ints('kernel_shape');
  checkAttr(kernel.length === r, `kernel_shape ${kernel} does not match ${r} spatial dims`, ctx.where);
  const strides = ctx.ints('strides', new Array(r).fill(1));
  const dilations = ctx.ints('dilations', new Array(r).fill(1));
  checkAttr(strides.length === r && strides.every((s) => s >= 1), `strides ${strides} invalid`, ctx.where);
  checkAttr(dilations.length === r && dilations.every((s) => s >= 1), `dilations ${dilations} invalid`, ctx.where);
  const pads = resolvePads(ctx, x.shape.slice(2), kernel, strides, dilations);
  return { kernel, strides, pads, dilations, ceilMode: ctx.int('ceil_mode', 0) !== 0 };
}

/** MaxPool: the optional Indices output is not produced (the driver reports it if used). */
export function importMaxPool(ctx: ImportContext): number[] {
  return ctx.emit({ kind: 'MaxPool', attrs: geometry(ctx) }, [ctx.input(0)]);
}

export function importAveragePool(ctx: ImportContext): number[] {
  const attrs = { ...geometry(ctx), countIncludePad: ctx.int('count_include_pad', 0) !== 0 };
  return ctx.emit({ kind: 'AveragePool', attrs }, [ctx.input(0)]);
}
