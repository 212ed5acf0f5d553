// SIMD 2x2 stride-2 average pool over int8 planes: eight windows per step from two 16-byte row loads.
import { satMax, satMin } from '../../ir/fixed-point.js';
import type { QAveragePoolAttrs } from '../../ir/ops/qavg-pool.js';
import { OP, SIMD, V128 } from './encoder.js';
import type { WasmKernelCtx } from './kernel.js';
import { narrowVec } from './simd-elementwise.js';

/** SIMD opcodes (after 0xFD) of the widening/narrowing steps. */
const V = { extaddPairs8: 0x7c, add16: 0x8e, extendLow16: 0xa7, extendHigh16: 0xa8, narrow32: 0x85, narrow16: 0x65, store64_lane: 0x5b } as const;

/**
 * Eight outputs of a full 2x2 window, stride 2, int8 input: i16x8.extadd_pairwise_i8x16_s of each row's 16 bytes
 * gives the horizontal pair sums, their i16 sum the window sums (|sum| <= 512), widened to i32x4 halves; the
 * CSD digits of 1/4 as shifts (csdApply, the same int32 wrap-around), narrow, saturating narrows to the output
 * (the values lie in its range already). Reads x[at .. at + 15] and the next row; writes eight outputs at `y`.
 */
function eight(ctx: WasmKernelCtx, q: QAveragePoolAttrs, W: number, x: number, y: number, yb: number): void {
  const c = ctx.code;
  const D = q.digits.length - 1;
  const s = c.local(V128);
  const halves = [c.local(V128), c.local(V128)];
  c.get(x).simd(SIMD.load, 0, 0).simd(V.extaddPairs8).get(x).simd(SIMD.load, 0, ...leb(W)).simd(V.extaddPairs8).simd(V.add16).set(s);
  const n = { r: q.shiftOut, lo: satMin(q.bits), hi: satMax(q.bits), bits: q.bits };
  halves.forEach((h, k) => {
    c.get(s).simd(k ? V.extendHigh16 : V.extendLow16).set(h);
    const acc = c.local(V128);
    c.i32(0).simd(SIMD.splat).set(acc);
    q.digits.forEach((d, j) => {
      if (d) c.get(acc).get(h).i32(D - j).simd(SIMD.shl).simd(d > 0 ? SIMD.add : SIMD.sub).set(acc);
    });
    narrowVec(c, acc, n);
    c.get(acc).set(h);
  });
  c.get(y).get(halves[0]!).get(halves[1]!).simd(V.narrow32);
  if (yb === 1) c.set(s).get(s).get(s).simd(V.narrow16).simd(V.store64_lane, 0, 0, 0);
  else c.simd(SIMD.store, 0, 0);
}

/**
 * Per output row of each plane: eight outputs per step, the last (OW not a multiple of 8) as one more step ending at
 * the row's end (recomputing a few outputs: the output never aliases the input). False (nothing emitted) unless
 * a 2x2 stride-2 average with full windows from (0, 0) on int8 input, int8/int16 output and at least 8 columns.
 */
export function simdAvgPool2x2(ctx: WasmKernelCtx, q: QAveragePoolAttrs, g: { planes: number; H: number; W: number; OH: number; OW: number; x: number; y: number; xb: number; yb: number }): boolean {
  if (g.xb !== 1 || g.yb > 2 || g.OW < 8) return false;
  const c = ctx.code;
  const xs = c.local(); const ys = c.local(); const row = c.local(); const yrow = c.local(); const xp = c.local(); const yp = c.local();
  c.i32(g.x).set(xs).i32(g.y).set(ys);
  c.forN(g.planes, () => {
    c.get(xs).set(row).get(ys).set(yrow);
    c.forN(g.OH, () => {
      c.get(row).set(xp).get(yrow).set(yp);
      c.forN(g.OW >> 3, () => { eight(ctx, q, g.W, xp, yp, g.yb); c.bump(xp, 16).bump(yp, 8 * g.yb); });
      if (g.OW & 7) {
        c.get(row).i32(2 * (g.OW - 8)).op(OP.add).set(xp).get(yrow).i32((g.OW - 8) * g.yb).op(OP.add).set(yp);
        eight(ctx, q, g.W, xp, yp, g.yb);
      }
      c.bump(row, 2 * g.W).bump(yrow, g.OW * g.yb);
    });
    c.bump(xs, g.H * g.W).bump(ys, g.OH * g.OW * g.yb);
  });
  return true;
}

function leb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 127; n >>>= 7; if (n) b |= 128; out.push(b); } while (n);
  return out;
}
