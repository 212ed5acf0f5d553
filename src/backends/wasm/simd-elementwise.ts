// SIMD elementwise ops with constant requantisation (Requantize, same-shape QAdd): four elements per step, scalar tail.
import { numel } from '../../ir/tensor.js';
import { OP, SIMD, V128, type Code } from './encoder.js';
import { elemBytes, inAddr, inType, narrowConst, outAddr, outType, type WasmKernelCtx } from './kernel.js';

/** SIMD opcodes of the widening loads and narrowing stores below (after the 0xFD prefix). */
const V = { load32_zero: 0x5c, extend8: 0x87, extend16: 0xa7, narrow32: 0x85, narrow16: 0x65, store32_lane: 0x5a, store64_lane: 0x5b } as const;

/** One operand: its byte address and element bytes (1 or 2), shifted left by `shl` before the sum. */
interface Term { addr: number; bytes: number; shl: number }

/**
 * y[i] = clamp(requant(sum of x_k[i] << shl_k, r, bits), lo, hi) (numerics.md narrow, int32 wrap-around) for
 * int8/int16 operands of the output's shape; false (nothing emitted) when an operand or the output is int32.
 */
export function simdNarrowMap(ctx: WasmKernelCtx, terms: readonly Term[], n: { r: number; lo: number; hi: number; bits: number }): boolean {
  const yb = elemBytes(outType(ctx));
  if (yb > 2 || terms.some((t) => t.bytes > 2)) return false;
  const c = ctx.code;
  const count = numel(outType(ctx).shape);
  const ptrs = terms.map(() => c.local());
  const yp = c.local();
  terms.forEach((t, k) => c.i32(t.addr).set(ptrs[k]!));
  c.i32(outAddr(ctx)).set(yp);
  const vec = (): void => {
    terms.forEach((t, k) => {
      c.get(ptrs[k]!);
      if (t.bytes === 1) c.simd(V.load32_zero, 2, 0).simd(V.extend8).simd(V.extend16);
      else c.simd(SIMD.load16x4_s, 1, 0);
      if (t.shl) c.i32(t.shl).simd(SIMD.shl);
      if (k > 0) c.simd(SIMD.add);
    });
  };
  const v = c.local(V128);
  c.forN(count >> 2, () => {
    c.get(yp);
    vec();
    c.set(v);
    narrowVec(c, v, n);
    // The values lie in [lo, hi] inside the output's range: the saturating narrows only drop the high halves.
    c.get(v).get(v).simd(V.narrow32);
    if (yb === 1) { c.set(v).get(v).get(v).simd(V.narrow16).simd(V.store32_lane, 0, 0, 0); } else c.simd(V.store64_lane, 1, 0, 0);
    terms.forEach((t, k) => c.bump(ptrs[k]!, 4 * t.bytes));
    c.bump(yp, 4 * yb);
  });
  c.forN(count & 3, () => {
    c.get(yp);
    narrowConst(ctx, () => scalarSum(c, terms, ptrs), n.r, n.lo, n.hi, n.bits);
    c.store(yb);
    terms.forEach((t, k) => c.bump(ptrs[k]!, t.bytes));
    c.bump(yp, yb);
  });
  return true;
}

/** In place on the i32x4 local v: clamp(requant(v, r, bits), lo, hi) with constant operands (numerics.md narrow). */
export function narrowVec(c: Code, v: number, n: { r: number; lo: number; hi: number; bits: number }): void {
  const s = Math.min(-n.r, n.bits);
  const mx = 2 ** (n.bits - 1) - 1;
  const splat = (x: number) => { c.i32(x).simd(SIMD.splat); };
  if (n.r > 0) { c.get(v); splat(2 ** (n.r - 1)); c.simd(SIMD.add).i32(n.r).simd(SIMD.shr_s).set(v); }
  if (n.r < 0) { c.get(v); splat(-mx - 1); c.simd(SIMD.max_s); splat(mx); c.simd(SIMD.min_s).i32(s).simd(SIMD.shl).set(v); }
  c.get(v); splat(n.lo); c.simd(SIMD.max_s); splat(n.hi); c.simd(SIMD.min_s).set(v);
}

function scalarSum(c: Code, terms: readonly Term[], ptrs: readonly number[]): void {
  terms.forEach((t, k) => {
    c.get(ptrs[k]!).load(t.bytes);
    if (t.shl) c.i32(t.shl).op(OP.shl);
    if (k > 0) c.op(OP.add);
  });
}

/** The operand `k` of the node as a Term when its shape is the output's (no broadcast), else null. */
export function sameShapeTerm(ctx: WasmKernelCtx, k: number, shl: number): Term | null {
  const x = inType(ctx, k).shape;
  const y = outType(ctx).shape;
  if (x.length !== y.length || x.some((d, i) => d !== y[i])) return null;
  return { addr: inAddr(ctx, k), bytes: elemBytes(inType(ctx, k)), shl };
}
