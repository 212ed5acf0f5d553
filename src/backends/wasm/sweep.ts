// The SIMD sweep of a stride-1 shift layer: one channel's decoded term list applied to 16 positions per block in registers.
import type { Code } from './encoder.js';
import { OP, SIMD, V128 } from './encoder.js';

/** Positions per block: four i32x4 accumulators share each term's address, shift and sign. */
export const BLOCK = 16;
/** Bytes of one decoded term: tap address (position 0), shift, sign (0 or -1). */
export const TERM_BYTES = 12;

/** Appends a term to the list at local `tp`: [tap address, shift, sign] (the caller computed sh and sg). */
export function appendTerm(c: Code, tp: number, tap: number, sh: number, sg: number): void {
  c.get(tp).get(tap).store(4);
  c.get(tp).get(sh).store(4, 4);
  c.get(tp).get(sg).store(4, 8);
  c.bump(tp, TERM_BYTES);
}

/**
 * acc[p] = bias + sum over the `n` listed terms of ((x[tap + p] << sh) ^ sg) - sg for p < count (a multiple of
 * BLOCK): per block, the four accumulators stay in v128 locals across the whole term list, then are stored once.
 */
export function blockedSweep(c: Code, o: { list: number; n: number; acc: number; count: number; bias: number }): void {
  const a = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const tp = c.local(); const base = c.local(); const sh = c.local(); const sgv = c.local(V128); const pos = c.local(); const ap = c.local();
  c.i32(0).set(pos).i32(o.acc).set(ap);
  c.forN(o.count / BLOCK, () => {
    for (const v of a) c.get(o.bias).simd(SIMD.splat).set(v);
    c.i32(o.list).set(tp);
    c.forN({ local: o.n }, () => {
      c.get(tp).load(4).get(pos).op(OP.add).set(base);
      c.get(tp).load(4, 4).set(sh);
      c.get(tp).load(4, 8).simd(SIMD.splat).set(sgv);
      a.forEach((v, k) => {
        c.get(v).get(base).simd(SIMD.load, 2, ...uleb16(k * 16)).get(sh).simd(SIMD.shl).get(sgv).simd(SIMD.xor).get(sgv).simd(SIMD.sub).simd(SIMD.add).set(v);
      });
      c.bump(tp, TERM_BYTES);
    });
    a.forEach((v, k) => { c.get(ap).get(v).simd(SIMD.store, 2, ...uleb16(k * 16)); });
    c.bump(ap, BLOCK * 4).bump(pos, BLOCK * 4);
  });
}

/** The memarg offset as LEB128 (all offsets here are below 128). */
function uleb16(n: number): number[] {
  if (n > 127) throw new Error('sweep: offset over 127');
  return [n];
}
