// SIMD ShiftConv/ShiftGemm: weights decoded once at instantiation (start function) into int32 lists, then i32x4 sweeps.
import { OP, SIMD, V128, type Code } from './encoder.js';
import type { WasmKernelCtx } from './kernel.js';
import type { ShiftGeom } from './shift.js';
import { blockedSweep, copyNarrowed, ENTRY_BYTES, simdNarrow } from './sweep.js';

/** What the SIMD channel loops need: geometry, operand addresses, the decoded codes and the Bss tables. */
export interface SimdPlan {
  s: ShiftGeom; K: number; G: number; Cg: number; mPerG: number; chanBytes: number;
  xp: number; acc: number; count: number; codesAt: number; tapsAt: number; biasAt: number; rAt: number; hiAt: number; gainAt: number;
  yb: number; ys: number; bits: number; actMin: number;
  /** Bss: conv, per channel its (tap address, weight) list and entry count; Gemm, the dense [M][D4] weights. */
  tableAt: number; countAt: number;
}

/** Bss bytes of the SIMD tables (reserved in the scalar module too, so both variants share one memory layout). */
export function simdTableBytes(s: ShiftGeom, wide: boolean): number {
  const D = (s.C / s.groups) * s.KH * s.KW;
  return wide ? s.M * D * ENTRY_BYTES + s.M * 4 : s.M * gemmStride(s.C);
}

/** Bytes of one Gemm weight row: D int32 rounded up to whole vectors (zeros, so the x slack they meet adds 0). */
const gemmStride = (D: number): number => ((D + 3) & ~3) * 4;

/**
 * Start function part: per output channel the non-zero weights with their tap addresses (the input copy is at a
 * fixed address), through a helper shared by the layers (see dot-conv.ts buildWeights: the start function stays
 * a list of calls).
 */
function buildLists(ctx: WasmKernelCtx, p: SimdPlan): void {
  const { s } = p;
  ctx.init.i32(p.codesAt).i32(p.tableAt).i32(p.countAt).i32(p.xp).i32(p.tapsAt).i32(s.groups).i32(p.mPerG).i32(p.Cg).i32(s.KH * s.KW).i32(p.chanBytes).i32(p.Cg * p.chanBytes);
  ctx.init.call(ctx.rt.once('convLists', 11, convLists, false));
}

/** convLists(weights, lists, counts, x, taps table, groups, M/groups, C/groups, taps, channel bytes, group bytes). */
function convLists(c: Code): void {
  const [weights, lists, counts, x, tapsAt, groups, mPerG, Cg, taps, chan, group] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const cp = c.local(); const lp = c.local(); const np = c.local(); const start = c.local(); const xg = c.local(); const xc = c.local();
  const xr = c.local(); const w = c.local();
  c.get(weights).set(cp).get(lists).set(lp).get(counts).set(np).get(x).set(xg);
  c.forN({ local: groups }, () => {
    c.forN({ local: mPerG }, () => {
      c.get(lp).set(start).get(xg).set(xc);
      c.forN({ local: Cg }, () => {
        c.get(tapsAt).set(xr);
        c.forN({ local: taps }, () => {
          c.get(cp).load(4).set(w).bump(cp, 4);
          c.get(w).if(() => {
            c.get(lp).get(xc).get(xr).load(4).op(OP.add).store(4);
            c.get(lp).get(w).store(4, 4);
            c.bump(lp, ENTRY_BYTES);
          });
          c.bump(xr, 4);
        });
        c.get(xc).get(chan).op(OP.add).set(xc);
      });
      c.get(np).get(lp).get(start).op(OP.sub).i32(3).op(OP.shr_u).store(4);
      c.bump(np, 4);
    });
    c.get(xg).get(group).op(OP.add).set(xg);
  });
}

/**
 * Start function part: the Gemm's int32 weight rows padded to whole vectors: the decoded weights themselves when
 * D is a multiple of 4 (returns their address), else copied row by row (memory.copy) into the table.
 */
function buildRows(ctx: WasmKernelCtx, p: SimdPlan): number {
  const D = p.s.C;
  if (D % 4 === 0) return p.codesAt;
  const c = ctx.init;
  const src = c.local(); const dst = c.local();
  c.i32(p.codesAt).set(src).i32(p.tableAt).set(dst);
  c.forN(p.s.M, () => { c.get(dst).get(src).i32(D * 4).copy(); c.bump(src, D * 4).bump(dst, gemmStride(D)); });
  return p.tableAt;
}

/** Per output channel of one sample: blocked sweep of its list, gain + narrow four lanes at a time, valid columns out. */
export function simdConvChannels(ctx: WasmKernelCtx, p: SimdPlan): void {
  buildLists(ctx, p);
  const c = ctx.code;
  const { s } = p;
  const lp = c.local(); const np = c.local(); const n = c.local(); const v = c.local();
  const bp = c.local(); const rp = c.local(); const hp = c.local(); const gp = c.local(); const yp = c.local(); const ap = c.local(); const xq = c.local();
  c.i32(p.tableAt).set(lp).i32(p.countAt).set(np).i32(p.biasAt).set(bp).i32(p.rAt).set(rp).i32(p.hiAt).set(hp).i32(p.gainAt).set(gp).get(p.ys).set(yp);
  c.forN(s.M, () => {
    c.get(bp).load(4).set(v).get(np).load(4).set(n);
    blockedSweep(c, ctx.rt, { list: lp, n, acc: p.acc, count: p.count, bias: v });
    simdNarrow(c, ctx.rt, { acc: p.acc, count: p.count, gp, G: p.G, rp, hp, lo: p.actMin, bits: p.bits });
    c.i32(p.acc).set(ap);
    c.forN(s.OH, () => {
      c.get(ap).set(xq);
      copyNarrowed(c, xq, yp, s.OW, p.yb);
      c.bump(ap, s.Wq * 4);
    });
    c.get(lp).get(n).i32(3).op(OP.shl, OP.add).set(lp);
    c.bump(np, 4).bump(bp, 4).bump(rp, 2).bump(hp, 2).bump(gp, p.G);
  });
}

/** Gemm: per output channel a dot product of the int32 input copy and its row, four lanes at a time, then gain + narrow. */
export function simdGemmChannels(ctx: WasmKernelCtx, p: SimdPlan): void {
  const rows = buildRows(ctx, p);
  const c = ctx.code;
  const stride = gemmStride(p.s.C);
  const wp = c.local(); const xq = c.local(); const acc = c.local(V128); const v = c.local();
  const bp = c.local(); const rp = c.local(); const hp = c.local(); const gp = c.local(); const yp = c.local();
  c.i32(rows).set(wp).i32(p.biasAt).set(bp).i32(p.rAt).set(rp).i32(p.hiAt).set(hp).i32(p.gainAt).set(gp).get(p.ys).set(yp);
  c.forN(p.s.M, () => {
    c.i32(0).simd(SIMD.splat).set(acc).i32(p.xp).set(xq);
    c.forN(stride / 16, () => {
      c.get(acc).get(xq).simd(SIMD.load, 2, 0).get(wp).simd(SIMD.load, 2, 0).simd(SIMD.mul).simd(SIMD.add).set(acc);
      c.bump(xq, 16).bump(wp, 16);
    });
    c.get(bp).load(4);
    for (let l = 0; l < 4; l++) c.get(acc).simd(SIMD.lane, l).op(OP.add);
    c.set(v);
    c.get(yp).get(v).get(gp).i32(p.G).call(ctx.rt.gain());
    c.get(rp).load(2).i32(p.actMin).get(hp).load(2).i32(p.bits).call(ctx.rt.narrow());
    c.store(p.yb);
    c.bump(yp, p.yb).bump(bp, 4).bump(rp, 2).bump(hp, 2).bump(gp, p.G);
  });
}
