// WebAssembly kernels of QLrn (integer LRN by tables) and QGateMul (one requantising shift per gate code), scalar only.
import type { QGateMulAttrs } from '../../ir/ops/qgate-mul.js';
import { gateLayout } from '../../ir/ops/qgate-mul.js';
import type { QLrnAttrs } from '../../ir/ops/qlrn.js';
import { numel } from '../../ir/tensor.js';
import { OP } from './encoder.js';
import { elemBytes, inAddr, inType, outAddr, outType, type WasmKernelCtx } from './kernel.js';

/**
 * QLrn, the loops of src/ir/ops/qlrn.ts (and the C kernel src/backends/c/lrn.ts): squares, log, pow and exp are
 * data-segment tables, the window per channel is a (first channel byte offset, length) table, and the index of the
 * window sum s takes its top bit from i32.clz. The SIMD module uses this scalar kernel too (table lookups per lane).
 */
export function qlrnKernel(ctx: WasmKernelCtx, a: QLrnAttrs): void {
  const c = ctx.code;
  const shape = inType(ctx, 0).shape;
  const C = shape[1]!;
  const S = numel(shape.slice(2));
  const total = numel(shape);
  if (total === 0 || S === 0) return;
  const before = Math.floor((a.size - 1) / 2);
  const after = Math.ceil((a.size - 1) / 2);
  const d = ctx.data;
  const w0 = d.i32(Array.from({ length: C }, (_, ch) => Math.max(0, ch - before) * S));
  const wn = d.i32(Array.from({ length: C }, (_, ch) => Math.min(C - 1, ch + after) - Math.max(0, ch - before) + 1));
  const sq = d.add(new Uint8Array(Int16Array.from({ length: 256 }, (_, k) => (k - 128) ** 2).buffer), 2);
  const pow = d.i32(a.pow);
  const log = d.i32(a.log);
  const exp = d.i8(a.exp);
  const M = 2 ** a.mant;
  const [xn, yn, pw0, pwn, xc, yc, wp, len, xi, yi, wi, o, s, e, q, sg, k, v] = Array.from({ length: 18 }, () => c.local());
  c.i32(inAddr(ctx, 0)).set(xn).i32(outAddr(ctx)).set(yn);
  c.forN(total / (C * S), () => {
    c.i32(w0).set(pw0).i32(wn).set(pwn).get(xn).set(xc).get(yn).set(yc);
    c.forN(C, () => {
      c.get(xn).get(pw0).load(4).op(OP.add).set(wp).get(pwn).load(4).set(len);
      c.get(xc).set(xi).get(yc).set(yi).get(wp).set(wi);
      c.forN(S, () => {
        // s = sum of squares over the window (sq[v + 128] at sq + 256 + 2v).
        c.i32(0).set(s).get(wi).set(o);
        c.forN({ local: len }, () => {
          c.get(s).get(o).load(1).i32(1).op(OP.shl).i32(sq + 256).op(OP.add).load(2).op(OP.add).set(s);
          c.bump(o, S);
        });
        c.get(xi).load(1).tee(q).if(() => {
          // idx = s below 2^mant, else ((e - mant + 1) << mant) + (s >> (e - mant)) - 2^mant with e = 31 - clz(s).
          c.get(s).i32(M).op(OP.ge_s).if(() => {
            c.i32(31).get(s).op(OP.clz, OP.sub).set(e);
            c.get(e).i32(a.mant - 1).op(OP.sub).i32(a.mant).op(OP.shl);
            c.get(s).get(e).i32(a.mant).op(OP.sub, OP.shr_s, OP.add).i32(M).op(OP.sub).set(s);
          });
          // k = log[|q| - 1] + pow[idx] - expMin; |q| = (q ^ sg) - sg with sg = q >> 31.
          c.get(q).i32(31).op(OP.shr_s).set(sg);
          c.get(q).get(sg).op(OP.xor).get(sg).op(OP.sub).i32(2).op(OP.shl).i32(log - 4).op(OP.add).load(4);
          c.get(s).i32(2).op(OP.shl).i32(pow).op(OP.add).load(4).op(OP.add);
          c.i32(a.expMin).op(OP.sub).set(k);
          // v = exp[k] for 0 <= k < exp.length (one unsigned compare), else 0 below and 127 above.
          c.get(k).i32(a.exp.length).op(OP.lt_u).if(() => {
            c.get(k).i32(exp).op(OP.add).load(1).set(v);
          }, () => {
            c.i32(0).i32(127).get(k).i32(0).op(OP.lt_s, OP.select).set(v);
          });
          c.get(yi).get(v).get(sg).op(OP.xor).get(sg).op(OP.sub).store(1);
        }, () => {
          c.get(yi).i32(0).store(1);
        });
        c.bump(xi, 1).bump(yi, 1).bump(wi, 1);
      });
      c.bump(pw0, 4).bump(pwn, 4).bump(xc, S).bump(yc, S);
    });
    c.bump(xn, C * S).bump(yn, C * S);
  });
}

/**
 * QGateMul (src/ir/ops/qgate-mul.ts, C kernel src/backends/c/gate.ts): per gate element the code k = clamp(g, 0,
 * maxCode) gives the shift r = k - 1 + fracX - fracOut, and each of its `per` activations becomes narrow(x, r); a zero
 * gate narrows 0, which is clamp(0, actMin, actMax) as in the interpreter. The SIMD module uses this scalar kernel too.
 */
export function qgateMulKernel(ctx: WasmKernelCtx, a: QGateMulAttrs): void {
  const c = ctx.code;
  const xs = inType(ctx, 0).shape;
  const gs = inType(ctx, 1).shape;
  const ng = numel(gs);
  if (ng === 0) return;
  const per = gateLayout(xs, gs) === 'same' ? 1 : numel(xs) / ng;
  const xb = elemBytes(inType(ctx, 0));
  const yb = elemBytes(outType(ctx));
  const [xp, yp, gp, k, r] = Array.from({ length: 5 }, () => c.local());
  c.i32(inAddr(ctx, 0)).set(xp).i32(outAddr(ctx)).set(yp).i32(inAddr(ctx, 1)).set(gp);
  c.forN(ng, () => {
    c.get(gp).load(1).set(k);
    c.i32(0).get(k).get(k).i32(0).op(OP.lt_s, OP.select).set(k);
    c.i32(a.maxCode).get(k).get(k).i32(a.maxCode).op(OP.gt_s, OP.select).set(k);
    c.get(k).i32(a.fracX - a.fracOut - 1).op(OP.add).set(r);
    // Element i reads x[i] (and the gate, already in k) before y[i] is written: the output may share x's buffer.
    c.forN(per, () => {
      c.get(yp).get(xp).load(xb).i32(0).get(k).op(OP.select);
      c.get(r).i32(a.actMin).i32(a.actMax).i32(a.bits).call(ctx.rt.narrow());
      c.store(yb);
      c.bump(xp, xb).bump(yp, yb);
    });
    c.bump(gp, 1);
  });
}
