// Importers for data-movement ops (Transpose, Concat, Split, Slice, Pad, Gather, Cast); constant parameters become attrs.
import { fail } from '../../diagnostics.js';
import { checkAttr } from '../../ir/ops/util.js';
import type { PadAttrs } from '../../ir/ops/pad.js';
import { normAxis } from '../../ir/tensor.js';
import type { ImportContext } from '../context.js';
import { onnxDType } from '../tensor-proto.js';

/** Normalises an axis attribute/input against `rank`, failing naming the node when out of range. */
function axisOf(ctx: ImportContext, axis: number, rank: number): number {
  checkAttr(Number.isInteger(axis) && axis >= -rank && axis < rank, `axis ${axis} out of range for rank ${rank}`, ctx.where);
  return normAxis(axis, rank);
}

export function importTranspose(ctx: ImportContext): number[] {
  const r = ctx.type(0).shape.length;
  const perm = ctx.ints('perm', Array.from({ length: r }, (_, i) => r - 1 - i));
  return ctx.emit({ kind: 'Transpose', attrs: { perm } }, [ctx.input(0)]);
}

export function importConcat(ctx: ImportContext): number[] {
  checkAttr(ctx.hasAttr('axis'), "required attribute 'axis' is missing", ctx.where);
  const axis = axisOf(ctx, ctx.int('axis', 0), ctx.type(0).shape.length);
  const inputs = Array.from({ length: ctx.inputCount }, (_, k) => ctx.input(k));
  return ctx.emit({ kind: 'Concat', attrs: { axis } }, inputs);
}

/** Split sizes: attribute before opset 13, input after; else num_outputs (opset 18) or an equal split over the outputs. */
export function importSplit(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const axis = axisOf(ctx, ctx.int('axis', 0), x.shape.length);
  const dim = x.shape[axis]!;
  const nOut = (ctx.node.output ?? []).length;
  let split = ctx.opset >= 13 ? (ctx.has(1) ? ctx.constInts(1, 'split') : []) : ctx.ints('split');
  if (!split.length) {
    if (ctx.opset >= 18 && ctx.hasAttr('num_outputs')) {
      // Uneven splits put the remainder in a smaller last chunk.
      const n = ctx.int('num_outputs', nOut);
      const chunk = Math.ceil(dim / n);
      checkAttr(n >= 1 && dim - chunk * (n - 1) >= 0, `cannot split ${dim} into ${n} outputs`, ctx.where);
      split = Array.from({ length: n }, (_, k) => (k < n - 1 ? chunk : dim - chunk * (n - 1)));
    } else {
      checkAttr(nOut >= 1 && dim % nOut === 0, `axis ${axis} of size ${dim} does not split evenly into ${nOut} outputs`, ctx.where);
      split = new Array<number>(nOut).fill(dim / nOut);
    }
  }
  checkAttr(split.length === nOut, `split has ${split.length} entries but the node has ${nOut} outputs`, ctx.where);
  return ctx.emit({ kind: 'Split', attrs: { axis, split } }, [ctx.input(0)]);
}

/** Slice: attributes before opset 10, inputs (with steps) after; huge bounds (INT64_MAX) saturate to the dim. */
export function importSlice(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const r = x.shape.length;
  const old = ctx.opset < 10;
  const starts = old ? ctx.ints('starts') : ctx.constInts(1, 'starts');
  const ends = old ? ctx.ints('ends') : ctx.constInts(2, 'ends');
  const n = starts.length;
  const rawAxes = old ? ctx.ints('axes', Array.from({ length: n }, (_, i) => i)) : ctx.has(3) ? ctx.constInts(3, 'axes') : Array.from({ length: n }, (_, i) => i);
  const steps = !old && ctx.has(4) ? ctx.constInts(4, 'steps') : new Array<number>(n).fill(1);
  checkAttr(ends.length === n && rawAxes.length === n && steps.length === n, 'starts, ends, axes and steps must have equal lengths', ctx.where);
  const axes = rawAxes.map((a) => axisOf(ctx, a, r));
  // Any index <= -dim-1 or >= dim behaves the same after clamping, so saturate to keep attrs small and exact.
  const sat = (v: number, dim: number) => Math.min(Math.max(v, -dim - 1), dim);
  const attrs = {
    starts: starts.map((v, i) => sat(v, x.shape[axes[i]!]!)),
    ends: ends.map((v, i) => sat(v, x.shape[axes[i]!]!)),
    axes,
    steps,
  };
  return ctx.emit({ kind: 'Slice', attrs }, [ctx.input(0)]);
}

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'];

/** Pad: pads/value attributes before opset 11; pads, constant_value and (opset 18) axes inputs after. */
export function importPad(ctx: ImportContext): number[] {
  const r = ctx.type(0).shape.length;
  const mode = ctx.string('mode', 'constant');
  checkAttr(PAD_MODES.includes(mode) && (mode !== 'wrap' || ctx.opset >= 19), `unsupported mode '${mode}'`, ctx.where);
  let pads: number[];
  let value = 0;
  if (ctx.opset < 11) {
    pads = ctx.ints('pads');
    value = ctx.float('value', 0);
  } else {
    pads = ctx.constInts(1, 'pads');
    if (ctx.has(2)) value = Number(ctx.requireConst(2, 'constant_value').data[0] ?? 0);
    if (ctx.has(3)) {
      const axes = ctx.constInts(3, 'axes').map((a) => axisOf(ctx, a, r));
      checkAttr(pads.length === 2 * axes.length, `pads [${pads}] must have ${2 * axes.length} entries for axes [${axes}]`, ctx.where);
      const full = new Array<number>(2 * r).fill(0);
      axes.forEach((a, j) => { full[a] = pads[j]!; full[a + r] = pads[j + axes.length]!; });
      pads = full;
    }
  }
  checkAttr(pads.length === 2 * r, `pads [${pads}] must have ${2 * r} entries`, ctx.where);
  return ctx.emit({ kind: 'Pad', attrs: { mode: mode as PadAttrs['mode'], pads, value } }, [ctx.input(0)]);
}

/** Gather: constant indices are range-checked here so the error names the node. */
export function importGather(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const axis = axisOf(ctx, ctx.int('axis', 0), x.shape.length);
  const idx = ctx.constant(1);
  if (idx) {
    const dim = x.shape[axis]!;
    for (const v of idx.data) if (v < -dim || v >= dim) fail('SAC013', `index ${v} is out of range for axis ${axis} of size ${dim}`, ctx.where);
  }
  return ctx.emit({ kind: 'Gather', attrs: { axis } }, [ctx.input(0), ctx.input(1)]);
}

export function importCast(ctx: ImportContext): number[] {
  checkAttr(ctx.hasAttr('to'), "required attribute 'to' is missing", ctx.where);
  const to = onnxDType(ctx.int('to', 0), ctx.where);
  return ctx.emit({ kind: 'Cast', attrs: { to } }, [ctx.input(0)]);
}
