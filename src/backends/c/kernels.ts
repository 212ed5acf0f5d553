// C kernels of the elementwise and data-movement ops, and the op -> kernel dispatch (SAC060 otherwise).
import { fail } from '../../diagnostics.js';
import { qaddShifts } from '../../ir/ops/qadd.js';
import { broadcastStrides } from '../../ir/ops/util.js';
import { normAxis, numel, sameShape, strides } from '../../ir/tensor.js';
import { constArray, ctype, emitNest, lit } from './cfmt.js';
import { out, val, type Kernel, type KernelCtx } from './kernel.js';
import { adderConvKernel } from './adder.js';
import { qgateMulKernel } from './gate.js';
import { qlrnKernel } from './lrn.js';
import { globalMaxPoolKernel, poolKernel } from './pool.js';
import { shiftConvKernel, shiftGemmKernel } from './shift.js';

export function kernelFor(ctx: KernelCtx): Kernel {
  const op = ctx.node.op;
  switch (op.kind) {
    case 'ShiftConv': return shiftConvKernel(ctx, op.attrs);
    case 'ShiftGemm': return shiftGemmKernel(ctx, op.attrs);
    case 'AdderConv': return adderConvKernel(ctx, op.attrs);
    case 'QAdd': return qaddKernel(ctx, op.attrs);
    case 'Requantize': {
      const xb = val(ctx, 0).type.dtype;
      const same = xb === out(ctx).type.dtype;
      const n = ctx.rt.need('sac_narrow');
      return elementwise(ctx, `(${yt(ctx)})${n}(x0[i], ${op.attrs.shift}, ${op.attrs.bits}, ${lit(op.attrs.actMin)}, ${lit(op.attrs.actMax)})`, same);
    }
    case 'Lut':
      ctx.decls.push(constArray(`${ctx.fn}_lut`, 'int8_t', op.attrs.table));
      return elementwise(ctx, `${ctx.fn}_lut[x0[i] + 128]`, true);
    case 'QLrn': return qlrnKernel(ctx, op.attrs);
    case 'QGateMul': return qgateMulKernel(ctx, op.attrs);
    case 'Relu': return elementwise(ctx, 'x0[i] > 0 ? x0[i] : 0', true);
    case 'QAveragePool': return poolKernel(ctx, op.attrs, op.attrs.global ? 'gavg' : 'avg');
    case 'MaxPool': return poolKernel(ctx, op.attrs, 'max');
    case 'GlobalMaxPool': return globalMaxPoolKernel(ctx);
    case 'Reshape': case 'Identity': return copyKernel(ctx);
    case 'Transpose': {
      const s = strides(val(ctx, 0).type.shape);
      return nestCopy(ctx, 0, op.attrs.perm.map((p) => s[p]!));
    }
    case 'Slice': return sliceKernel(ctx, op.attrs);
    case 'Concat': return concatKernel(ctx, op.attrs.axis);
    case 'Pad': return padKernel(ctx, op.attrs);
    default: return fail('SAC060', `op ${op.kind} has no C kernel`, ctx.where);
  }
}

function yt(ctx: KernelCtx): string {
  return ctype(out(ctx).type.dtype, ctx.where);
}

/** y[i] = expr(x0[i]) over the whole tensor; in place is safe because element i is read before it is written. */
function elementwise(ctx: KernelCtx, expr: string, inPlace: boolean): Kernel {
  const n = numel(out(ctx).type.shape);
  return { data: [0], inPlace, body: [`for (int32_t i = 0; i < ${n}; i++) y[i] = (${yt(ctx)})(${expr});`] };
}

/** Flat copy: a Reshape that cannot alias its input (its result is a graph output). */
function copyKernel(ctx: KernelCtx): Kernel {
  return elementwise(ctx, 'x0[i]', false);
}

/** Output in order, input 0 read through strides from `base` (Transpose, Slice). */
function nestCopy(ctx: KernelCtx, base: number, inStrides: readonly number[]): Kernel {
  const shape = out(ctx).type.shape;
  const vars = [{ name: 'ix', base, strides: inStrides }, { name: 'oy', base: 0, strides: strides(shape) }];
  return { data: [0], body: ['int32_t ix, oy;', ...emitNest(shape, vars, ['y[oy] = x0[ix];'], '')] };
}

function qaddKernel(ctx: KernelCtx, a: { bits: number; actMin: number; actMax: number; fracA: number; fracB: number; fracOut: number }): Kernel {
  const { sa, sb, r } = qaddShifts(a);
  const shape = out(ctx).type.shape;
  const n = ctx.rt.need('sac_narrow');
  const sum = (ia: string, ib: string) => `(int32_t)(((uint32_t)x0[${ia}] << ${sa}) + ((uint32_t)x1[${ib}] << ${sb}))`;
  const narrow = (v: string) => `(${yt(ctx)})${n}(${v}, ${r}, ${a.bits}, ${lit(a.actMin)}, ${lit(a.actMax)})`;
  const A = val(ctx, 0).type.shape;
  const B = val(ctx, 1).type.shape;
  // Casting an int8/int16 operand to uint32_t sign-extends modulo 2^32: the shift is numerics.md shl.
  if (sameShape(A, shape) && sameShape(B, shape)) {
    return { data: [0, 1], inPlace: true, body: [`for (int32_t i = 0; i < ${numel(shape)}; i++) y[i] = ${narrow(sum('i', 'i'))};`] };
  }
  const vars = [
    { name: 'ia', base: 0, strides: broadcastStrides(A, shape) },
    { name: 'ib', base: 0, strides: broadcastStrides(B, shape) },
    { name: 'oy', base: 0, strides: strides(shape) },
  ];
  return { data: [0, 1], body: ['int32_t ia, ib, oy;', ...emitNest(shape, vars, [`y[oy] = ${narrow(sum('ia', 'ib'))};`], '')] };
}

function sliceKernel(ctx: KernelCtx, a: { starts: readonly number[]; ends: readonly number[]; axes: readonly number[]; steps: readonly number[] }): Kernel {
  const x = val(ctx, 0).type.shape;
  const r = x.length;
  const s = strides(x);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  // Same clamping as ops/slice.ts resolve(); the output shape comes from type inference.
  a.axes.forEach((ax0, i) => {
    const ax = normAxis(ax0, r);
    const dim = x[ax]!;
    const st = a.steps[i]!;
    const b = a.starts[i]! < 0 ? a.starts[i]! + dim : a.starts[i]!;
    start[ax] = st > 0 ? Math.min(Math.max(b, 0), dim) : Math.min(Math.max(b, 0), dim - 1);
    step[ax] = st;
  });
  const base = start.reduce((p, b, i) => p + b * s[i]!, 0);
  return nestCopy(ctx, base, s.map((v, i) => v * step[i]!));
}

function concatKernel(ctx: KernelCtx, axis0: number): Kernel {
  const shape = out(ctx).type.shape;
  const axis = normAxis(axis0, shape.length);
  const os = strides(shape);
  const body: string[] = ['int32_t ix, oy;'];
  const data: number[] = [];
  let at = 0;
  ctx.node.inputs.forEach((_, k) => {
    const xs = val(ctx, k).type.shape;
    data.push(k);
    body.push(`// input ${k}`);
    body.push(...emitNest(xs, [{ name: 'ix', base: 0, strides: strides(xs) }, { name: 'oy', base: at * os[axis]!, strides: os }], [`y[oy] = x${k}[ix];`], ''));
    at += xs[axis]!;
  });
  return { data, body };
}

function padKernel(ctx: KernelCtx, a: { mode: string; pads: readonly number[]; value: number }): Kernel {
  if (a.mode !== 'constant' || !Number.isInteger(a.value)) fail('SAC060', `Pad mode '${a.mode}' value ${a.value} has no C kernel (constant integer padding only)`, ctx.where);
  const x = val(ctx, 0).type.shape;
  const shape = out(ctx).type.shape;
  const r = x.length;
  const xs = strides(x);
  const os = strides(shape);
  // Negative pads crop: copy the overlap of the input and output boxes.
  const inStart = x.map((_, i) => Math.max(0, -a.pads[i]!));
  const outStart = x.map((_, i) => Math.max(0, a.pads[i]!));
  const len = x.map((d, i) => Math.max(0, Math.min(d - inStart[i]!, shape[i]! - outStart[i]!)));
  const dot = (v: number[], s: number[]) => v.reduce((p, q, i) => p + q * s[i]!, 0);
  const body = [`for (int32_t i = 0; i < ${numel(shape)}; i++) y[i] = ${lit(a.value)};`, 'int32_t ix, oy;'];
  if (r > 0 && numel(len) > 0) {
    body.push(...emitNest(len, [{ name: 'ix', base: dot(inStart, xs), strides: xs }, { name: 'oy', base: dot(outStart, os), strides: os }], ['y[oy] = x0[ix];'], ''));
  } else body.push('(void)x0; ix = 0; oy = 0; (void)ix; (void)oy;');
  return { data: [0], body };
}
