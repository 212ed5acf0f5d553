// WebAssembly ShiftConv/ShiftGemm: zero-padded, stride-phase-split i32 input copy, then shift-add sweeps over all positions.
import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { shiftConst } from '../../ir/lowered.js';
import { clampHi, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import type { ShiftConvAttrs } from '../../ir/ops/shift-conv.js';
import { OP } from './encoder.js';
import { dotConvLayout, dotConvSample } from './dot-conv.js';
import { simdConvChannels, simdGemmChannels, simdTableBytes } from './simd-shift.js';
import { BLOCK } from './sweep.js';
import { packedCodes, unpackBss } from './unpack.js';
import { elemBytes, inAddr, inType, outAddr, outType, type WasmKernelCtx } from './kernel.js';

/** Conv geometry in the 2-D view (1-D convs have height 1; Gemm is a 1x1 conv over a 1x1 image of D channels). */
export interface ShiftGeom {
  /** K: term slots per weight. */
  K: number;
  N: number; C: number; H: number; W: number; M: number; groups: number;
  KH: number; KW: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
  Hp: number; Wp: number; OH: number; OW: number;
  /**
   * Stride phases: the padded input is stored as sh x sw planes of Hq x Wq (plane (a, b) holds rows a, a + sh, ...
   * and columns b, b + sw, ...), so every tap of every stride reads its output positions contiguously.
   */
  Hq: number; Wq: number;
}

/** Bytes of one input channel in the phase-split layout. */
export const chanBytes = (s: ShiftGeom): number => s.sh * s.sw * s.Hq * s.Wq * 4;

/** Byte offset of tap (kh, kw) for output position 0 within a channel: its phase plane, then its row and column. */
export function tapOffset(s: ShiftGeom, kh: number, kw: number): number {
  const h = kh * s.dh;
  const w = kw * s.dw;
  return (((h % s.sh) * s.sw + (w % s.sw)) * s.Hq * s.Wq + Math.floor(h / s.sh) * s.Wq + Math.floor(w / s.sw)) * 4;
}

export function shiftGeom(g: Graph, node: Node): ShiftGeom {
  const x = g.values[node.inputs[0]!]!.type.shape;
  const y = g.values[node.outputs[0]!]!.type.shape;
  const codesT = shiftConst(g, node, 'codes')!;
  const M = codesT.shape[0]!;
  const K = codesT.shape[codesT.shape.length - 1]!;
  if (node.op.kind === 'ShiftGemm') {
    return { K, N: x[0]!, C: x[1]!, H: 1, W: 1, M, groups: 1, KH: 1, KW: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, Hp: 1, Wp: 1, OH: 1, OW: 1, Hq: 1, Wq: 1 };
  }
  const a = node.op.attrs as ShiftConvAttrs;
  const two = a.kernel.length === 2;
  if (a.kernel.length > 2) fail('SAC060', `${a.kernel.length}-D ShiftConv has no WebAssembly kernel`, `node '${node.name}'`);
  const r = a.kernel.length;
  const H = two ? x[2]! : 1;
  const W = x[x.length - 1]!;
  const pt = two ? a.pads[0]! : 0;
  const pb = two ? a.pads[2]! : 0;
  const pl = a.pads[r - 1]!;
  const pr = a.pads[2 * r - 1]!;
  const sh = two ? a.strides[0]! : 1;
  const sw = a.strides[r - 1]!;
  const Hp = H + pt + pb;
  const Wp = W + pl + pr;
  return {
    K, N: x[0]!, C: x[1]!, H, W, M, groups: a.group,
    KH: two ? a.kernel[0]! : 1, KW: a.kernel[r - 1]!, sh, sw,
    dh: two ? a.dilations[0]! : 1, dw: a.dilations[r - 1]!, pt, pl, Hp, Wp,
    OH: two ? y[2]! : 1, OW: y[y.length - 1]!, Hq: Math.ceil(Hp / sh), Wq: Math.ceil(Wp / sw),
  };
}

/**
 * Scratch: the phase-split padded input as i32 (plus the sweep's slack) and one channel's accumulators; for a
 * layer the SIMD module runs channel-vectorised (dot-conv.ts), at least its int16 input and all accumulators.
 */
export function shiftScratch(g: Graph, node: Node): number {
  const s = shiftGeom(g, node);
  const phased = s.C * chanBytes(s) + SWEEP_SLACK(s) + accLayout(s).count * 4;
  const d = dotConvLayout(g, node, s);
  if (!d) return phased;
  return Math.max(phased, d.xBytes + d.accBytes);
}

/** Bss of a shift layer: its decoded int8 codes with their decode tables, and its SIMD weight tables (reserved in both variants alike). */
export function shiftBss(g: Graph, node: Node): number {
  const s = shiftGeom(g, node);
  const codes = shiftConst(g, node, 'codes')!;
  const decode = unpackBss(codes, s.M, codes.data.length / (s.M * s.K), s.K, (node.op.attrs as ShiftAttrs).shiftBits);
  const tables = dotConvLayout(g, node, s)?.wBytes ?? simdTableBytes(s, accLayout(s).wide);
  return decode + ((tables + 15) & ~15);
}

export function shiftKernel(ctx: WasmKernelCtx): void {
  const { g, node, code: c, data } = ctx;
  const a = node.op.attrs as ShiftAttrs;
  const s = shiftGeom(g, node);
  const codes = shiftConst(g, node, 'codes')!;
  const gain = shiftConst(g, node, 'gain');
  const G = gain ? gain.shape[1]! : 0;
  const K = a.terms;
  const xb = elemBytes(inType(ctx, 0));
  const yb = elemBytes(outType(ctx));
  const plane = s.OH * s.OW;
  const Cg = s.C / s.groups;
  const mPerG = s.M / s.groups;
  const padBytes = s.C * chanBytes(s);
  const xp = ctx.scratch;
  const acc = xp + padBytes + SWEEP_SLACK(s);
  // The SIMD kernels multiply: their start-function builders read int32 weights, the scalar kernels the codes.
  const codesAt = packedCodes(ctx, codes, s.M, codes.data.length / (s.M * K), K, a.shiftBits, ctx.simd).at;
  const dot = dotConvLayout(g, node, s);
  const tableAt = ctx.bss.alloc(dot?.wBytes ?? simdTableBytes(s, accLayout(s).wide));
  const biasAt = data.i32(shiftConst(g, node, 'bias')!.data);
  // Per-channel shifts and upper clamps as int16 (hi <= 2^15 - 1; a shift beyond int16 would be absurd).
  const rshift = shiftConst(g, node, 'rshift')!.data;
  if (rshift.some((r) => r < -32768 || r > 32767)) fail('SAC060', 'a requantisation shift outside int16 has no WebAssembly kernel', ctx.where);
  const rAt = data.i16(rshift);
  const hiAt = data.i16(Array.from({ length: s.M }, (_, m) => clampHi(a, m)));
  const gainAt = gain ? data.i8(gain.data) : 0;
  const xs = c.local();
  const ys = c.local();
  c.i32(inAddr(ctx, 0)).set(xs);
  c.i32(outAddr(ctx)).set(ys);
  c.forN(s.N, () => {
    if (ctx.simd && dot) {
      dotConvSample(ctx, { s, d: dot, K, G, xb, yb, xs, ys, xh: xp, acc: xp + dot.xBytes, codesAt, wAt: tableAt, biasAt, rAt, hiAt, gainAt, bits: a.bits, actMin: a.actMin });
      c.bump(xs, s.C * s.H * s.W * xb).bump(ys, s.M * plane * yb);
      return;
    }
    // 1. Zero-padded i32 copy of this sample (padded taps read the zero point 0).
    c.i32(xp).i32(0).i32(padBytes).fill();
    copyPhases(ctx, s, xs, xp, xb);
    if (ctx.simd) {
      const taps: number[] = [];
      for (let kh = 0; kh < s.KH; kh++) for (let kw = 0; kw < s.KW; kw++) taps.push(tapOffset(s, kh, kw));
      const L = accLayout(s);
      const sp = { s, K, G, Cg, mPerG, chanBytes: chanBytes(s), xp, acc, count: L.count, codesAt, tapsAt: data.i32(taps), biasAt, rAt, hiAt, gainAt, yb, ys, bits: a.bits, actMin: a.actMin, tableAt, countAt: tableAt + s.M * Cg * s.KH * s.KW * 8 };
      if (L.wide) simdConvChannels(ctx, sp); else simdGemmChannels(ctx, sp);
    } else emitChannels(ctx, { s, K, G, plane, Cg, mPerG, xp, acc, codesAt, biasAt, rAt, hiAt, gainAt, yb, ys, bits: a.bits, actMin: a.actMin });
    c.bump(xs, s.C * s.H * s.W * xb);
    c.bump(ys, s.M * plane * yb);
  });
}

/**
 * Writes the sample at local `xs` into the phase planes at `xp`: for phase (a, b) the rows i with padded row
 * i * sh + a inside the image, and likewise the columns (ranges computed here, so the loops only add strides).
 */
function copyPhases(ctx: WasmKernelCtx, s: ShiftGeom, xs: number, xp: number, xb: number): void {
  const c = ctx.code;
  const range = (q: number, phase: number, pad: number, size: number, stride: number): [number, number] => {
    const lo = Math.max(0, Math.ceil((pad - phase) / stride));
    const hi = Math.min(q, Math.floor((size - 1 + pad - phase) / stride) + 1);
    return [lo, Math.max(lo, hi)];
  };
  const srcC = c.local(); const dstC = c.local(); const src = c.local(); const dst = c.local(); const srow = c.local(); const drow = c.local();
  c.get(xs).set(srcC).i32(xp).set(dstC);
  c.forN(s.C, () => {
    for (let a = 0; a < s.sh; a++) {
      for (let b = 0; b < s.sw; b++) {
        const [i0, i1] = range(s.Hq, a, s.pt, s.H, s.sh);
        const [j0, j1] = range(s.Wq, b, s.pl, s.W, s.sw);
        if (i1 === i0 || j1 === j0) continue;
        const srcOff = ((i0 * s.sh + a - s.pt) * s.W + (j0 * s.sw + b - s.pl)) * xb;
        const dstOff = ((a * s.sw + b) * s.Hq * s.Wq + i0 * s.Wq + j0) * 4;
        c.get(srcC).i32(srcOff).op(OP.add).set(srow).get(dstC).i32(dstOff).op(OP.add).set(drow);
        c.forN(i1 - i0, () => {
          c.get(srow).set(src).get(drow).set(dst);
          c.forN(j1 - j0, () => { c.get(dst).get(src).load(xb).store(4); c.bump(dst, 4).bump(src, s.sw * xb); });
          c.bump(srow, s.sh * s.W * xb).bump(drow, s.Wq * 4);
        });
      }
    }
    c.bump(srcC, s.H * s.W * xb).bump(dstC, chanBytes(s));
  });
}

interface ChannelPlan {
  s: ShiftGeom; K: number; G: number; plane: number; Cg: number; mPerG: number;
  xp: number; acc: number; codesAt: number; biasAt: number; rAt: number; hiAt: number; gainAt: number;
  yb: number; ys: number; bits: number; actMin: number;
}

/**
 * Accumulator layout. `wide` (several positions): one flat run over OH rows of the phase-plane width Wq, columns
 * OW..Wq-1 computed from neighbouring taps and discarded, so every sweep is one long (vectorised) loop of
 * contiguous reads whatever the stride. Single-position layers (Gemm) keep the accumulator in a local.
 */
export function accLayout(s: ShiftGeom): { wide: boolean; len: number; row: number; count: number } {
  const plane = s.OH * s.OW;
  if (plane > 1) {
    const count = Math.ceil((s.OH * s.Wq) / BLOCK) * BLOCK;
    return { wide: true, len: count, row: s.Wq, count };
  }
  return { wide: false, len: 1, row: 1, count: 1 };
}

/** Bytes the wide sweep may read past the padded input (into discarded accumulators): a row and a block. */
export const SWEEP_SLACK = (s: ShiftGeom): number => (accLayout(s).wide ? (s.Wq + BLOCK) * 4 : 16);

function emitChannels(ctx: WasmKernelCtx, p: ChannelPlan): void {
  const c = ctx.code;
  const { s } = p;
  const L = accLayout(s);
  const cp = c.local(); const bp = c.local(); const rp = c.local(); const hp = c.local(); const gp = c.local();
  const xg = c.local(); const yp = c.local();
  c.i32(p.codesAt).set(cp).i32(p.biasAt).set(bp).i32(p.rAt).set(rp).i32(p.hiAt).set(hp).i32(p.gainAt).set(gp);
  c.i32(p.xp).set(xg).get(p.ys).set(yp);
  const code = c.local(); const sh = c.local(); const sg = c.local();
  const xc = c.local(); const xr = c.local(); const xt = c.local(); const ap = c.local(); const xq = c.local();
  const v = c.local();
  const single = p.plane === 1;
  const taps: number[] = [];
  for (let kh = 0; kh < s.KH; kh++) for (let kw = 0; kw < s.KW; kw++) taps.push(tapOffset(s, kh, kw));
  const tapsAt = ctx.data.i32(taps);
  // One term: sg = code >> 31 (0 or -1), sh = |code| - 1; it adds ((x << sh) ^ sg) - sg, i.e. +(x << sh) or -(x << sh).
  const term = (): void => {
    c.get(code).i32(31).op(OP.shr_s).set(sg);
    c.get(code).get(sg).op(OP.xor).get(sg).op(OP.sub).i32(1).op(OP.sub).set(sh);
    if (single) {
      c.get(v).get(xt).load(4).get(sh).op(OP.shl).get(sg).op(OP.xor).get(sg).op(OP.sub, OP.add).set(v);
      return;
    }
    // Scalar: one position per step.
    c.i32(p.acc).set(ap);
    c.get(xt).set(xq);
    c.forN(L.len, () => {
      c.get(ap).get(ap).load(4).get(xq).load(4).get(sh).op(OP.shl).get(sg).op(OP.xor).get(sg).op(OP.sub, OP.add).store(4);
      c.bump(ap, 4).bump(xq, 4);
    });
  };
  // Gain, requantise, clamp to [actMin, hi_m], store (the value pushed by `acc`).
  const store = (acc: () => void): void => {
    c.get(yp);
    acc();
    c.get(gp).i32(p.G).call(ctx.rt.gain());
    c.get(rp).load(2).i32(p.actMin).get(hp).load(2).i32(p.bits).call(ctx.rt.narrow());
    c.store(p.yb);
    c.bump(yp, p.yb);
  };
  c.forN(s.groups, () => {
    c.forN(p.mPerG, () => {
      c.get(bp).load(4).set(v);
      if (!single) {
        c.i32(p.acc).set(ap);
        c.forN(L.count, () => { c.get(ap).get(v).store(4); c.bump(ap, 4); });
      }
      c.get(xg).set(xc);
      c.forN(p.Cg, () => {
        // Taps in codes order (kh, kw); each one's address is the channel base plus its tapOffset (a table).
        c.i32(tapsAt).set(xr);
        c.forN(s.KH * s.KW, () => {
          c.get(xc).get(xr).load(4).op(OP.add).set(xt);
          c.forN(p.K, () => {
            c.get(cp).load(1).tee(code);
            c.if(term);
            c.bump(cp, 1);
          });
          c.bump(xr, 4);
        });
        c.bump(xc, chanBytes(s));
      });
      if (single) store(() => c.get(v));
      else {
        // Narrow the valid columns into the output.
        c.i32(p.acc).set(ap);
        c.forN(s.OH, () => {
          c.get(ap).set(xq);
          c.forN(s.OW, () => {
            store(() => c.get(xq).load(4));
            c.bump(xq, 4);
          });
          c.bump(ap, L.row * 4);
        });
      }
      c.bump(bp, 4).bump(rp, 2).bump(hp, 2).bump(gp, p.G);
    });
    c.bump(xg, p.Cg * chanBytes(s));
  });
}

