// WebAssembly ShiftConv/ShiftGemm: zero-padded i32 input copy, then per term a shift-add sweep over all output positions.
import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { shiftConst } from '../../ir/lowered.js';
import { clampHi, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import type { ShiftConvAttrs } from '../../ir/ops/shift-conv.js';
import { OP, SIMD, V128 } from './encoder.js';
import { appendTerm, BLOCK, blockedSweep, TERM_BYTES } from './sweep.js';
import { elemBytes, inAddr, inType, outAddr, outType, type WasmKernelCtx } from './kernel.js';

/** Conv geometry in the 2-D view (1-D convs have height 1; Gemm is a 1x1 conv over a 1x1 image of D channels). */
export interface ShiftGeom {
  /** K: term slots per weight. */
  K: number;
  N: number; C: number; H: number; W: number; M: number; groups: number;
  KH: number; KW: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
  Hp: number; Wp: number; OH: number; OW: number;
}

export function shiftGeom(g: Graph, node: Node): ShiftGeom {
  const x = g.values[node.inputs[0]!]!.type.shape;
  const y = g.values[node.outputs[0]!]!.type.shape;
  const codesT = shiftConst(g, node, 'codes')!;
  const M = codesT.shape[0]!;
  const K = codesT.shape[codesT.shape.length - 1]!;
  if (node.op.kind === 'ShiftGemm') {
    return { K, N: x[0]!, C: x[1]!, H: 1, W: 1, M, groups: 1, KH: 1, KW: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, Hp: 1, Wp: 1, OH: 1, OW: 1 };
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
  return {
    K, N: x[0]!, C: x[1]!, H, W, M, groups: a.group,
    KH: two ? a.kernel[0]! : 1, KW: a.kernel[r - 1]!, sh: two ? a.strides[0]! : 1, sw: a.strides[r - 1]!,
    dh: two ? a.dilations[0]! : 1, dw: a.dilations[r - 1]!, pt, pl, Hp: H + pt + pb, Wp: W + pl + pr,
    OH: two ? y[2]! : 1, OW: y[y.length - 1]!,
  };
}

/** Scratch: the padded input as i32 (C x Hp x Wp, plus the sweep's slack) and one channel's accumulators. */
export function shiftScratch(s: ShiftGeom): number {
  return s.C * s.Hp * s.Wp * 4 + SWEEP_SLACK(s) + accLayout(s).count * 4 + listBytes(s);
}

/** One channel's decoded term list (the SIMD sweep; reserved in both variants so their layouts agree). */
const listBytes = (s: ShiftGeom): number => (accLayout(s).wide ? (s.C / s.groups) * s.KH * s.KW * s.K * TERM_BYTES : 0);

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
  const padBytes = s.C * s.Hp * s.Wp * 4;
  const xp = ctx.scratch;
  const acc = xp + padBytes + SWEEP_SLACK(s);
  const codesAt = data.i8(codes.data);
  const biasAt = data.i32(shiftConst(g, node, 'bias')!.data);
  const rAt = data.i32(shiftConst(g, node, 'rshift')!.data);
  const hiAt = data.i32(Array.from({ length: s.M }, (_, m) => clampHi(a, m)));
  const gainAt = gain ? data.i8(gain.data) : 0;
  const xs = c.local();
  const ys = c.local();
  c.i32(inAddr(ctx, 0)).set(xs);
  c.i32(outAddr(ctx)).set(ys);
  c.forN(s.N, () => {
    // 1. Zero-padded i32 copy of this sample (padded taps read the zero point 0).
    c.i32(xp).i32(0).i32(padBytes).fill();
    const src = c.local();
    const row = c.local();
    const dst = c.local();
    c.get(xs).set(src);
    c.i32(xp + (s.pt * s.Wp + s.pl) * 4).set(row);
    c.forN(s.C, () => {
      c.forN(s.H, () => {
        c.get(row).set(dst);
        c.forN(s.W, () => {
          c.get(dst).get(src).load(xb).store(4);
          c.bump(dst, 4).bump(src, xb);
        });
        c.bump(row, s.Wp * 4);
      });
      c.bump(row, (s.Hp - s.H) * s.Wp * 4);
    });
    emitChannels(ctx, { s, K, G, plane, Cg, mPerG, xp, acc, codesAt, biasAt, rAt, hiAt, gainAt, yb, ys, bits: a.bits, actMin: a.actMin });
    c.bump(xs, s.C * s.H * s.W * xb);
    c.bump(ys, s.M * plane * yb);
  });
}

interface ChannelPlan {
  s: ShiftGeom; K: number; G: number; plane: number; Cg: number; mPerG: number;
  xp: number; acc: number; codesAt: number; biasAt: number; rAt: number; hiAt: number; gainAt: number;
  yb: number; ys: number; bits: number; actMin: number;
}

/**
 * Accumulator layout. `wide` (stride 1, several positions): one flat run over OH rows of the padded width Wp,
 * columns OW..Wp-1 computed from neighbouring taps and discarded, so the sweep is one long (vectorised) loop;
 * otherwise rows of OW positions `sw` apart. Single-position layers (Gemm) keep the accumulator in a local.
 */
export function accLayout(s: ShiftGeom): { wide: boolean; rows: number; len: number; row: number; count: number } {
  const plane = s.OH * s.OW;
  if (plane > 1 && s.sw === 1 && s.sh === 1) {
    const len = s.OH * s.Wp;
    const count = Math.ceil(len / BLOCK) * BLOCK;
    return { wide: true, rows: 1, len: count, row: s.Wp, count };
  }
  return { wide: false, rows: s.OH, len: s.OW, row: s.OW, count: plane };
}

/** Bytes the wide sweep may read past the padded input (into discarded accumulators): a row and a block. */
export const SWEEP_SLACK = (s: ShiftGeom): number => (accLayout(s).wide ? (s.Wp + BLOCK) * 4 : 0);

function emitChannels(ctx: WasmKernelCtx, p: ChannelPlan): void {
  const c = ctx.code;
  const { s } = p;
  const L = accLayout(s);
  const cp = c.local(); const bp = c.local(); const rp = c.local(); const hp = c.local(); const gp = c.local();
  const xg = c.local(); const yp = c.local();
  c.i32(p.codesAt).set(cp).i32(p.biasAt).set(bp).i32(p.rAt).set(rp).i32(p.hiAt).set(hp).i32(p.gainAt).set(gp);
  c.i32(p.xp).set(xg).get(p.ys).set(yp);
  const code = c.local(); const sh = c.local(); const sg = c.local(); const sgv = ctx.simd ? c.local(V128) : -1;
  const xc = c.local(); const xr = c.local(); const xt = c.local(); const ap = c.local(); const xrow = c.local(); const xq = c.local();
  const v = c.local();
  const single = p.plane === 1;
  // SIMD, stride 1: decode the channel's terms into a list, then sweep 16 positions per block in registers.
  const blocked = ctx.simd && L.wide;
  const list = p.acc + L.count * 4;
  const tp = c.local(); const nt = c.local();
  // One term: sg = code >> 31 (0 or -1), sh = |code| - 1; it adds ((x << sh) ^ sg) - sg, i.e. +(x << sh) or -(x << sh).
  const term = (): void => {
    c.get(code).i32(31).op(OP.shr_s).set(sg);
    c.get(code).get(sg).op(OP.xor).get(sg).op(OP.sub).i32(1).op(OP.sub).set(sh);
    if (single) {
      c.get(v).get(xt).load(4).get(sh).op(OP.shl).get(sg).op(OP.xor).get(sg).op(OP.sub, OP.add).set(v);
      return;
    }
    if (blocked) { appendTerm(c, tp, xt, sh, sg); c.bump(nt, 1); return; }
    if (ctx.simd) c.get(sg).simd(SIMD.splat).set(sgv);
    c.i32(p.acc).set(ap);
    c.get(xt).set(xrow);
    c.forN(L.rows, () => {
      c.get(xrow).set(xq);
      // SIMD: four contiguous positions per i32x4 step (the same shift, sign and wrap-around per lane).
      const vec = ctx.simd && s.sw === 1 ? L.len >> 2 : 0;
      if (vec) {
        c.forN(vec, () => {
          c.get(ap).get(ap).simd(SIMD.load, 2, 0).get(xq).simd(SIMD.load, 2, 0).get(sh).simd(SIMD.shl)
            .get(sgv).simd(SIMD.xor).get(sgv).simd(SIMD.sub).simd(SIMD.add).simd(SIMD.store, 2, 0);
          c.bump(ap, 16).bump(xq, 16);
        });
      }
      c.forN(L.len - vec * 4, () => {
        c.get(ap).get(ap).load(4).get(xq).load(4).get(sh).op(OP.shl).get(sg).op(OP.xor).get(sg).op(OP.sub, OP.add).store(4);
        c.bump(ap, 4).bump(xq, s.sw * 4);
      });
      c.bump(xrow, s.sh * s.Wp * 4);
    });
  };
  // Gain, requantise, clamp to [actMin, hi_m], store (the value pushed by `acc`).
  const store = (acc: () => void): void => {
    c.get(yp);
    acc();
    c.get(gp).i32(p.G).call(ctx.rt.gain());
    c.get(rp).load(4).i32(p.actMin).get(hp).load(4).i32(p.bits).call(ctx.rt.narrow());
    c.store(p.yb);
    c.bump(yp, p.yb);
  };
  c.forN(s.groups, () => {
    c.forN(p.mPerG, () => {
      c.get(bp).load(4).set(v);
      if (blocked) c.i32(list).set(tp).i32(0).set(nt);
      else if (!single) {
        c.i32(p.acc).set(ap);
        c.forN(L.count, () => { c.get(ap).get(v).store(4); c.bump(ap, 4); });
      }
      c.get(xg).set(xc);
      c.forN(p.Cg, () => {
        c.get(xc).set(xr);
        c.forN(s.KH, () => {
          c.get(xr).set(xt);
          c.forN(s.KW, () => {
            c.forN(p.K, () => {
              c.get(cp).load(1).tee(code);
              c.if(term);
              c.bump(cp, 1);
            });
            c.bump(xt, s.dw * 4);
          });
          c.bump(xr, s.dh * s.Wp * 4);
        });
        c.bump(xc, s.Hp * s.Wp * 4);
      });
      if (blocked) {
        blockedSweep(c, { list, n: nt, acc: p.acc, count: L.count, bias: v });
      }
      if (single) store(() => c.get(v));
      else {
        c.i32(p.acc).set(ap);
        c.forN(s.OH, () => {
          c.get(ap).set(xq);
          c.forN(s.OW, () => { store(() => c.get(xq).load(4)); c.bump(xq, 4); });
          c.bump(ap, L.row * 4);
        });
      }
      c.bump(bp, 4).bump(rp, 4).bump(hp, 4).bump(gp, p.G);
    });
    c.bump(xg, p.Cg * s.Hp * s.Wp * 4);
  });
}

