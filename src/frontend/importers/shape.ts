// Importers for shape-manipulating ops; all become a static Reshape once shapes are known.
import { fail } from '../../diagnostics.js';
import { checkAttr } from '../../ir/ops/util.js';
import { normAxis, numel, tensor } from '../../ir/tensor.js';
import type { ImportContext } from '../context.js';
import { checkedShape } from '../tensor-proto.js';

function reshapeTo(ctx: ImportContext, shape: number[]): number[] {
  return ctx.emit({ kind: 'Reshape', attrs: { shape } }, [ctx.input(0)]);
}

export function importReshape(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const spec = ctx.opset < 5 ? ctx.ints('shape') : ctx.constInts(1, 'shape');
  const allowZero = ctx.int('allowzero', 0) === 1;
  const shape = spec.map((d, i) => (d === 0 && !allowZero ? x.shape[i] ?? fail('SAC012', `shape entry ${i} copies a missing dim`, ctx.where) : d));
  const unknown = shape.indexOf(-1);
  if (unknown >= 0) {
    const known = shape.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    checkAttr(known > 0 && numel(x.shape) % known === 0, `cannot infer -1 in shape [${spec}] for input [${x.shape}]`, ctx.where);
    shape[unknown] = numel(x.shape) / known;
  }
  checkAttr(shape.every((d) => Number.isInteger(d) && d >= 0), `invalid shape [${spec}]`, ctx.where);
  return reshapeTo(ctx, shape);
}

export function importFlatten(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const axis = normAxis(ctx.int('axis', 1), x.shape.length);
  checkAttr(axis >= 0 && axis <= x.shape.length, `axis out of range for rank ${x.shape.length}`, ctx.where);
  return reshapeTo(ctx, [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))]);
}

/** Squeeze: axes from the attribute before opset 13, from input 1 after; all size-1 dims when absent. */
export function importSqueeze(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const raw = ctx.opset >= 13 ? (ctx.has(1) ? ctx.constInts(1, 'axes') : []) : ctx.ints('axes');
  const axes = raw.map((a) => normAxis(a, x.shape.length));
  for (const a of axes) checkAttr(x.shape[a] === 1, `cannot squeeze axis ${a} of shape [${x.shape}]`, ctx.where);
  const shape = x.shape.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
  return reshapeTo(ctx, shape);
}

/** Unsqueeze: axes from the attribute before opset 13, from input 1 after. */
export function importUnsqueeze(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const raw = ctx.opset >= 13 ? ctx.constInts(1, 'axes') : ctx.ints('axes');
  const rank = x.shape.length + raw.length;
  const axes = raw.map((a) => normAxis(a, rank));
  checkAttr(axes.every((a) => a >= 0 && a < rank) && new Set(axes).size === axes.length, `invalid axes ${raw}`, ctx.where);
  const shape: number[] = [];
  let src = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[src++]!);
  return reshapeTo(ctx, shape);
}

/** Shape of a statically shaped tensor is a constant (start/end from opset 15). */
export function importShape(ctx: ImportContext): number[] {
  const dims = ctx.type(0).shape;
  const r = dims.length;
  const clamp = (v: number) => Math.min(Math.max(normAxis(v, r), 0), r);
  const sliced = dims.slice(clamp(ctx.int('start', 0)), clamp(ctx.int('end', r)));
  return [ctx.const(tensor('int64', [sliced.length], sliced), ctx.node.output?.[0] || `${ctx.nodeName}_shape`)];
}

export function importConstantOfShape(ctx: ImportContext): number[] {
  const shape = checkedShape(ctx.constInts(0, 'shape'), ctx.where, ctx.limits.maxElements);
  ctx.chargeFold(shape.reduce((a, b) => a * b, 1));
  const v = ctx.tensorAttr('value');
  const t = tensor(v?.dtype ?? 'float32', shape);
  const fill = v ? v.data[0] ?? 0 : 0;
  if (fill !== 0) t.data.fill(fill as never);
  return [ctx.const(t, ctx.node.output?.[0] || `${ctx.nodeName}_value`)];
}

export function importConstant(ctx: ImportContext): number[] {
  const name = ctx.node.output?.[0] || `${ctx.nodeName}_value`;
  const t = ctx.tensorAttr('value');
  if (t) return [ctx.const(t, name)];
  if (ctx.hasAttr('value_float')) return [ctx.const(tensor('float32', [], [ctx.float('value_float', 0)]), name)];
  if (ctx.hasAttr('value_floats')) { const f = ctx.floats('value_floats'); return [ctx.const(tensor('float32', [f.length], f), name)]; }
  if (ctx.hasAttr('value_int')) return [ctx.const(tensor('int64', [], [ctx.int('value_int', 0)]), name)];
  if (ctx.hasAttr('value_ints')) { const v = ctx.ints('value_ints'); return [ctx.const(tensor('int64', [v.length], v), name)]; }
  return fail('SAC012', 'Constant has no supported value attribute (sparse and string constants are not supported)', ctx.where);
}
