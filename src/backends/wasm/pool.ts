// WebAssembly pooling kernels: windowed max/average over per-axis window tables, global max/average.
import { satMax, satMin } from '../../ir/fixed-point.js';
import { poolPlan } from '../../codegen/pool-plan.js';
import type { PoolGeometry } from '../../ir/ops/pool.js';
import { qavgWindow, reciprocalDigits, type QAveragePoolAttrs } from '../../ir/ops/qavg-pool.js';
import { numel } from '../../ir/tensor.js';
import { OP } from './encoder.js';
import { elemBytes, inAddr, inType, maxInto, outAddr, outType, type WasmKernelCtx } from './kernel.js';
import { simdAvgPool2x2 } from './simd-pool.js';

/** Accumulates one window/plane (max or sum) and stores it (max as is, average through CSD and narrow). */
interface Reduce { init: number; step: (acc: number, v: number) => void; store: (acc: number, digits: () => void) => void }

function reducer(ctx: WasmKernelCtx, mode: 'max' | 'avg', q?: QAveragePoolAttrs): Reduce {
  const c = ctx.code;
  const xbits = elemBytes(inType(ctx, 0)) * 8;
  if (mode === 'max') return { init: satMin(xbits), step: (acc, v) => maxInto(c, acc, v), store: (acc) => { c.get(acc); } };
  const D = q!.digits.length - 1;
  return {
    init: 0,
    step: (acc, v) => { c.get(acc).get(v).op(OP.add).set(acc); },
    store: (acc, digits) => {
      c.get(acc); digits(); c.i32(D).call(ctx.rt.csd());
      c.i32(q!.shiftOut).i32(satMin(q!.bits)).i32(satMax(q!.bits)).i32(q!.bits).call(ctx.rt.narrow());
    },
  };
}

/** GlobalMaxPool and global QAveragePool: one reduction per (n, c) plane. */
export function globalPoolKernel(ctx: WasmKernelCtx, mode: 'max' | 'avg'): void {
  const c = ctx.code;
  const x = inType(ctx, 0);
  const xb = elemBytes(x);
  const yb = elemBytes(outType(ctx));
  const q = mode === 'avg' ? (ctx.node.op.attrs as QAveragePoolAttrs) : undefined;
  const red = reducer(ctx, mode, q);
  const digitsAt = q ? ctx.data.i8(q.digits) : 0;
  const S = numel(x.shape.slice(2));
  const xp = c.local(); const yp = c.local(); const acc = c.local(); const v = c.local();
  c.i32(inAddr(ctx, 0)).set(xp).i32(outAddr(ctx)).set(yp);
  c.forN(x.shape[0]! * x.shape[1]!, () => {
    c.i32(red.init).set(acc);
    c.forN(S, () => { c.get(xp).load(xb).set(v); red.step(acc, v); c.bump(xp, xb); });
    c.get(yp); red.store(acc, () => c.i32(digitsAt)); c.store(yb);
    c.bump(yp, yb);
  });
}

/** Windowed MaxPool / QAveragePool: per output row and column, the first in-bounds tap (bytes) and the tap count. */
export function poolKernel(ctx: WasmKernelCtx, mode: 'max' | 'avg'): void {
  const c = ctx.code;
  const a = ctx.node.op.attrs as PoolGeometry;
  const xv = inType(ctx, 0);
  const yv = outType(ctx);
  const xb = elemBytes(xv);
  const yb = elemBytes(yv);
  const { H, W, OH, OW, hp, wp, dh, dw, hn, wn } = poolPlan(a, xv.shape, yv.shape, ctx.where);
  if (fullWindows(ctx, mode, { H, W, OH, OW, hp, wp, dh, dw, hn, wn })) return;
  const hoAt = ctx.data.i32(Array.from(hp.start, (s, o) => (s + hp.lo[o]! * dh) * W * xb));
  const hnAt = ctx.data.i32(hn);
  const woAt = ctx.data.i32(Array.from(wp.start, (s, o) => (s + wp.lo[o]! * dw) * xb));
  const wnAt = ctx.data.i32(wn);
  const q = mode === 'avg' ? (ctx.node.op.attrs as QAveragePoolAttrs) : undefined;
  const red = reducer(ctx, mode, q);
  // Average windows clipped by padding use 1/count's digits: one digit-set address per output position.
  let selAt = 0;
  if (q) {
    const D = q.digits.length - 1;
    const N = qavgWindow(q, xv.shape);
    const sets = new Map<number, number>();
    const sel: number[] = [];
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const count = q.countIncludePad ? hp.padded[oh]! * wp.padded[ow]! : hn[oh]! * wn[ow]!;
        if (!sets.has(count)) sets.set(count, ctx.data.i8(count === N ? q.digits : reciprocalDigits(count, D)));
        sel.push(sets.get(count)!);
      }
    }
    selAt = ctx.data.i32(sel);
  }
  const xs = c.local(); const yp = c.local(); const ho = c.local(); const hnp = c.local(); const wo = c.local(); const wnp = c.local();
  const sp = c.local(); const acc = c.local(); const v = c.local(); const o = c.local(); const oo = c.local(); const nh = c.local(); const nw = c.local();
  c.i32(inAddr(ctx, 0)).set(xs).i32(outAddr(ctx)).set(yp);
  c.forN(xv.shape[0]! * xv.shape[1]!, () => {
    c.i32(hoAt).set(ho).i32(hnAt).set(hnp).i32(selAt).set(sp);
    c.forN(OH, () => {
      c.i32(woAt).set(wo).i32(wnAt).set(wnp);
      c.forN(OW, () => {
        c.i32(red.init).set(acc);
        c.get(xs).get(ho).load(4).op(OP.add).get(wo).load(4).op(OP.add).set(o);
        c.get(hnp).load(4).set(nh).get(wnp).load(4).set(nw);
        c.forN({ local: nh }, () => {
          c.get(o).set(oo);
          c.forN({ local: nw }, () => { c.get(oo).load(xb).set(v); red.step(acc, v); c.bump(oo, dw * xb); });
          c.bump(o, dh * W * xb);
        });
        c.get(yp); red.store(acc, () => c.get(sp).load(4)); c.store(yb);
        c.bump(yp, yb).bump(wo, 4).bump(wnp, 4).bump(sp, q ? 4 : 0);
      });
      c.bump(ho, 4).bump(hnp, 4);
    });
    c.bump(xs, H * W * xb);
  });
}

/** Evenly spaced values (the window starts of a pool whose windows all lie inside the input). */
const even = (v: readonly number[]): boolean => v.every((x, i) => x === v[0]! + i * ((v[1] ?? v[0]!) - v[0]!));

/**
 * The common pool whose every window lies inside the input (2x2 stride 2, no padding...): taps unrolled at
 * constant offsets, and for an average the one digit set's non-zero digits as shifts (csdApply unrolled).
 * Returns false (nothing emitted) for any other pool.
 */
function fullWindows(ctx: WasmKernelCtx, mode: 'max' | 'avg', p: ReturnType<typeof poolPlan>): boolean {
  const a = ctx.node.op.attrs as PoolGeometry;
  const KH = a.kernel.length === 2 ? a.kernel[0]! : 1;
  const KW = a.kernel[a.kernel.length - 1]!;
  const rows = Array.from(p.hp.start, (s, o) => s + p.hp.lo[o]! * p.dh);
  const cols = Array.from(p.wp.start, (s, o) => s + p.wp.lo[o]! * p.dw);
  if (!p.hn.every((n) => n === KH) || !p.wn.every((n) => n === KW) || !even(rows) || !even(cols)) return false;
  const xv = inType(ctx, 0);
  const q = mode === 'avg' ? (ctx.node.op.attrs as QAveragePoolAttrs) : undefined;
  if (q && qavgWindow(q, xv.shape) !== KH * KW) return false;
  const c = ctx.code;
  const xb = elemBytes(xv);
  const yb = elemBytes(outType(ctx));
  const step = (v: number[]) => (v[1] ?? v[0]! + 2) - v[0]!;
  if (ctx.simd && q && KH === 2 && KW === 2 && p.dh === 1 && p.dw === 1 && rows[0] === 0 && cols[0] === 0 && step(rows) === 2 && step(cols) === 2
    && simdAvgPool2x2(ctx, q, { planes: xv.shape[0]! * xv.shape[1]!, H: p.H, W: p.W, OH: p.OH, OW: p.OW, x: inAddr(ctx, 0), y: outAddr(ctx), xb, yb })) return true;
  const taps: number[] = [];
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) taps.push((kh * p.dh * p.W + kw * p.dw) * xb);
  const xs = c.local(); const yp = c.local(); const row = c.local(); const o = c.local(); const acc = c.local(); const v = c.local(); const r = c.local();
  c.i32(inAddr(ctx, 0)).set(xs).i32(outAddr(ctx)).set(yp);
  c.forN(xv.shape[0]! * xv.shape[1]!, () => {
    c.get(xs).i32((rows[0]! * p.W + cols[0]!) * xb).op(OP.add).set(row);
    c.forN(p.OH, () => {
      c.get(row).set(o);
      c.forN(p.OW, () => {
        c.get(o).load(xb, taps[0]).set(acc);
        for (const t of taps.slice(1)) {
          c.get(o).load(xb, t).set(v);
          if (q) c.get(acc).get(v).op(OP.add).set(acc); else maxInto(c, acc, v);
        }
        c.get(yp);
        if (q) {
          const D = q.digits.length - 1;
          c.i32(0).set(r);
          q.digits.forEach((d, j) => { if (d) c.get(r).get(acc).i32(D - j).op(OP.shl, d > 0 ? OP.add : OP.sub).set(r); });
          c.get(r).i32(q.shiftOut).i32(satMin(q.bits)).i32(satMax(q.bits)).i32(q.bits).call(ctx.rt.narrow());
        } else c.get(acc);
        c.store(yb);
        c.bump(yp, yb).bump(o, ((cols[1] ?? cols[0]!) - cols[0]!) * xb);
      });
      c.bump(row, ((rows[1] ?? rows[0]!) - rows[0]!) * p.W * xb);
    });
    c.bump(xs, p.H * p.W * xb);
  });
  return true;
}
