// WebAssembly kernels of the elementwise and data-movement ops, and the op -> kernel dispatch (SAC060 otherwise).
import { fail } from '../../diagnostics.js';
import { satMax, satMin } from '../../ir/fixed-point.js';
import { qaddShifts } from '../../ir/ops/qadd.js';
import { broadcastStrides } from '../../ir/ops/util.js';
import { normAxis, numel, strides } from '../../ir/tensor.js';
import { OP } from './encoder.js';
import { elemBytes, inAddr, inType, narrowConst, nest, outAddr, outType, type WasmKernelCtx } from './kernel.js';
import { adderConvKernel } from './adder.js';
import { qgateMulKernel, qlrnKernel } from './lrn.js';
import { globalPoolKernel, poolKernel } from './pool.js';
import { shiftKernel } from './shift.js';
import { sameShapeTerm, simdNarrowMap } from './simd-elementwise.js';

export function wasmKernel(ctx: WasmKernelCtx): void {
  const op = ctx.node.op;
  switch (op.kind) {
    case 'ShiftConv': case 'ShiftGemm': return shiftKernel(ctx);
    case 'AdderConv': return adderConvKernel(ctx);
    case 'QAdd': return qadd(ctx, op.attrs);
    case 'Requantize': {
      const a = op.attrs;
      const x = { addr: inAddr(ctx, 0), bytes: elemBytes(inType(ctx, 0)), shl: 0 };
      if (ctx.simd && simdNarrowMap(ctx, [x], { r: a.shift, lo: a.actMin, hi: a.actMax, bits: a.bits })) return;
      return elementwise(ctx, (v) => narrowConst(ctx, () => ctx.code.get(v), a.shift, a.actMin, a.actMax, a.bits));
    }
    case 'Lut': {
      const t = ctx.data.i8(op.attrs.table);
      return elementwise(ctx, (v) => { ctx.code.get(v).i32(t + 128).op(OP.add).load(1); });
    }
    case 'Relu': return elementwise(ctx, (v) => { ctx.code.i32(0).get(v).get(v).i32(0).op(OP.lt_s, OP.select); });
    case 'QAveragePool': return op.attrs.global ? globalPoolKernel(ctx, 'avg') : poolKernel(ctx, 'avg');
    case 'MaxPool': return poolKernel(ctx, 'max');
    case 'GlobalMaxPool': return globalPoolKernel(ctx, 'max');
    case 'Reshape': case 'Identity': return elementwise(ctx, (v) => { ctx.code.get(v); });
    case 'Transpose': {
      const s = strides(inType(ctx, 0).shape);
      return strided(ctx, 0, op.attrs.perm.map((p) => s[p]!));
    }
    case 'QLrn': return qlrnKernel(ctx, op.attrs);
    case 'QGateMul': return qgateMulKernel(ctx, op.attrs);
    case 'Slice': return slice(ctx, op.attrs);
    case 'Concat': return concat(ctx, op.attrs.axis);
    case 'Pad': return pad(ctx, op.attrs);
    default: return fail('SAC060', `op ${op.kind} has no WebAssembly kernel`, ctx.where);
  }
}

/** y[i] = f(x[i]) over the whole tensor (f pushes the result from the local holding x[i]); in place is safe. */
function elementwise(ctx: WasmKernelCtx, f: (v: number) => void): void {
  const c = ctx.code;
  const xb = elemBytes(inType(ctx, 0));
  const yb = elemBytes(outType(ctx));
  const xp = c.local(); const yp = c.local(); const v = c.local();
  c.i32(inAddr(ctx, 0)).set(xp).i32(outAddr(ctx)).set(yp);
  c.forN(numel(outType(ctx).shape), () => {
    c.get(xp).load(xb).set(v);
    c.get(yp); f(v); c.store(yb);
    c.bump(xp, xb).bump(yp, yb);
  });
}

/** Output in order, input 0 read through element strides from element `base` (Transpose, Slice). */
function strided(ctx: WasmKernelCtx, base: number, inStrides: readonly number[]): void {
  const shape = outType(ctx).shape;
  const xb = elemBytes(inType(ctx, 0));
  const yb = elemBytes(outType(ctx));
  copyNest(ctx, shape, { base: inAddr(ctx, 0) + base * xb, strides: inStrides.map((s) => s * xb) }, xb,
    { base: outAddr(ctx), strides: strides(shape).map((s) => s * yb) }, yb);
}

function copyNest(ctx: WasmKernelCtx, shape: readonly number[], x: { base: number; strides: number[] }, xb: number, y: { base: number; strides: number[] }, yb: number): void {
  const c = ctx.code;
  nest(c, shape, [x, y], ([px, py]) => { c.get(py!).get(px!).load(xb).store(yb); });
}

function qadd(ctx: WasmKernelCtx, a: { bits: number; actMin: number; actMax: number; fracA: number; fracB: number; fracOut: number }): void {
  const c = ctx.code;
  const { sa, sb, r } = qaddShifts(a);
  const ta = sameShapeTerm(ctx, 0, sa);
  const tb = sameShapeTerm(ctx, 1, sb);
  if (ctx.simd && ta && tb && simdNarrowMap(ctx, [ta, tb], { r, lo: a.actMin, hi: a.actMax, bits: a.bits })) return;
  const shape = outType(ctx).shape;
  const ab = elemBytes(inType(ctx, 0));
  const bb = elemBytes(inType(ctx, 1));
  const yb = elemBytes(outType(ctx));
  const ptrs = [
    { base: inAddr(ctx, 0), strides: broadcastStrides(inType(ctx, 0).shape, shape).map((s) => s * ab) },
    { base: inAddr(ctx, 1), strides: broadcastStrides(inType(ctx, 1).shape, shape).map((s) => s * bb) },
    { base: outAddr(ctx), strides: strides(shape).map((s) => s * yb) },
  ];
  // v = (a << sa) + (b << sb) with i32 wrap-around, then narrow by r into [actMin, actMax].
  nest(c, shape, ptrs, ([pa, pb, py]) => {
    c.get(py!);
    narrowConst(ctx, () => { c.get(pa!).load(ab).i32(sa).op(OP.shl).get(pb!).load(bb).i32(sb).op(OP.shl, OP.add); }, r, a.actMin, a.actMax, a.bits);
    c.store(yb);
  });
}

function slice(ctx: WasmKernelCtx, a: { starts: readonly number[]; ends: readonly number[]; axes: readonly number[]; steps: readonly number[] }): void {
  const x = inType(ctx, 0).shape;
  const r = x.length;
  const s = strides(x);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  // Same clamping as ops/slice.ts resolve() (and the C kernel); the output shape comes from type inference.
  a.axes.forEach((ax0, i) => {
    const ax = normAxis(ax0, r);
    const dim = x[ax]!;
    const st = a.steps[i]!;
    const b = a.starts[i]! < 0 ? a.starts[i]! + dim : a.starts[i]!;
    start[ax] = st > 0 ? Math.min(Math.max(b, 0), dim) : Math.min(Math.max(b, 0), dim - 1);
    step[ax] = st;
  });
  strided(ctx, start.reduce((p, b, i) => p + b * s[i]!, 0), s.map((v, i) => v * step[i]!));
}

function concat(ctx: WasmKernelCtx, axis0: number): void {
  const shape = outType(ctx).shape;
  const axis = normAxis(axis0, shape.length);
  const yb = elemBytes(outType(ctx));
  const os = strides(shape).map((v) => v * yb);
  let at = 0;
  ctx.node.inputs.forEach((_, k) => {
    const xs = inType(ctx, k).shape;
    const xb = elemBytes(inType(ctx, k));
    copyNest(ctx, xs, { base: inAddr(ctx, k), strides: strides(xs).map((v) => v * xb) }, xb, { base: outAddr(ctx) + at * os[axis]!, strides: os }, yb);
    at += xs[axis]!;
  });
}

function pad(ctx: WasmKernelCtx, a: { mode: string; pads: readonly number[]; value: number }): void {
  const yb = elemBytes(outType(ctx));
  if (a.mode !== 'constant' || !Number.isInteger(a.value) || a.value < satMin(yb * 8) || a.value > satMax(yb * 8)) {
    fail('SAC060', `Pad mode '${a.mode}' value ${a.value} has no WebAssembly kernel (constant integer padding only)`, ctx.where);
  }
  const c = ctx.code;
  const x = inType(ctx, 0).shape;
  const shape = outType(ctx).shape;
  const xb = elemBytes(inType(ctx, 0));
  const yp = c.local();
  c.i32(outAddr(ctx)).set(yp);
  c.forN(numel(shape), () => { c.get(yp).i32(a.value).store(yb); c.bump(yp, yb); });
  // Negative pads crop: copy the overlap of the input and output boxes.
  const xs = strides(x);
  const ys = strides(shape);
  const inStart = x.map((_, i) => Math.max(0, -a.pads[i]!));
  const outStart = x.map((_, i) => Math.max(0, a.pads[i]!));
  const len = x.map((d, i) => Math.max(0, Math.min(d - inStart[i]!, shape[i]! - outStart[i]!)));
  const dot = (v: number[], s: number[]) => v.reduce((p, q, i) => p + q * s[i]!, 0);
  if (numel(len) === 0) return;
  copyNest(ctx, len, { base: inAddr(ctx, 0) + dot(inStart, xs) * xb, strides: xs.map((v) => v * xb) }, xb,
    { base: outAddr(ctx) + dot(outStart, ys) * yb, strides: ys.map((v) => v * yb) }, yb);
}
