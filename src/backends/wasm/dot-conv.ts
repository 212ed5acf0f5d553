// SIMD ShiftConv (groups 1) vectorised across output channels: int16 weights, channel-last int16 input, i32x4.dot_i16x8_s.
import type { Graph, Node } from '../../ir/graph.js';
import { shiftConst } from '../../ir/lowered.js';
import { OP, SIMD, V128, type Code } from './encoder.js';
import type { WasmKernelCtx } from './kernel.js';
import type { ShiftGeom } from './shift.js';
import { copyNarrowed, simdNarrow } from './sweep.js';

/** Output positions per register block (along a row); channel vectors per block are 2 (8 channels) or 1. */
const P = 4;

/**
 * Channel-last int16 layout in lane pairs (4 bytes per pair and position): either two input channels with int16
 * weights (`split` false), or, for int8 inputs, (x, x << 8) against (lo, hi) with w = lo + 256 hi, lo in
 * [-128, 127] (`split`: weights up to 2^23, what shift windows of 16 exponents need). Rows of Wp padded
 * columns; OW rounded up to P (the extra positions are computed and dropped).
 */
export interface DotGeom {
  split: boolean; pairs: number; OW4: number; PS: number; xBytes: number; accBytes: number; wBytes: number; MB: number;
  /**
   * Per output channel k_m when the unsplit int16 weights are w >> k_m (k_m the fewest trailing zeros of the
   * channel's weights, so the shift is exact): its sums are (sum of x w') << k_m + bias, the same mod 2^32.
   */
  shifts: number[] | null;
}

export function dotGeom(s: ShiftGeom, split: boolean, shifts: number[] | null = null): DotGeom {
  const pairs = split ? s.C : (s.C + 1) >> 1;
  const OW4 = Math.ceil(s.OW / P) * P;
  const PS = s.OH * OW4;
  // Slack: the extra positions of the last row read up to P strides past the last padded column.
  const xBytes = ((s.Hp * s.Wp * pairs * 4 + P * s.sw * pairs * 4 + 16) + 15) & ~15;
  return { split, pairs, OW4, PS, xBytes, accBytes: s.M * PS * 4, wBytes: s.M * s.KH * s.KW * pairs * 4, MB: s.M % 8 === 0 ? 2 : 1, shifts };
}

/**
 * The layout a layer takes this kernel with, or null: an ordinary conv (groups 1, M a
 * multiple of 4, several positions) whose weights (sums of their +-2^sh terms) fit int16, or int8 input and
 * weights split into int16 halves. Each dot lane's two products are then exact, the int32 sums wrap like
 * runInteger's and the overflow proof of numerics.md makes the final sums exact in any order.
 */
export function dotConvLayout(g: Graph, node: Node, s: ShiftGeom): DotGeom | null {
  if (node.op.kind !== 'ShiftConv' || s.groups !== 1 || s.M % 4 !== 0 || s.OH * s.OW < 2) return null;
  const cd = shiftConst(g, node, 'codes')!.data;
  const per = cd.length / (s.M * s.K);
  let max = 0;
  let scaled = true;
  const shifts: number[] = [];
  for (let m = 0; m < s.M; m++) {
    let mx = 0;
    let tz = 30;
    for (let i = m * per * s.K; i < (m + 1) * per * s.K; i += s.K) {
      let w = 0;
      for (let k = 0; k < s.K; k++) { const c = cd[i + k]!; if (c) w += Math.sign(c) * 2 ** (Math.abs(c) - 1); }
      mx = Math.max(mx, Math.abs(w));
      for (let z = 0; z < tz; z++) if (Math.abs(w) % 2 ** (z + 1)) { tz = z; break; }
    }
    max = Math.max(max, mx);
    shifts.push(tz);
    if (mx / 2 ** tz > 32767) scaled = false;
  }
  if (max <= 32767) return dotGeom(s, false);
  // Channels whose weights share trailing zeros fit int16 once shifted: two input channels per lane pair again.
  if (scaled) return dotGeom(s, false, shifts);
  const int8 = g.values[node.inputs[0]!]!.type.dtype === 'int8';
  return int8 && max < 2 ** 22 ? dotGeom(s, true) : null;
}

export interface DotPlan {
  s: ShiftGeom; d: DotGeom; K: number; G: number; xb: number; yb: number; xs: number; ys: number;
  xh: number; acc: number; codesAt: number; wAt: number; biasAt: number; rAt: number; hiAt: number; gainAt: number; bits: number; actMin: number;
}

/**
 * Start function part: codes [M][C][KH][KW][K] -> int16 W[M/4][KH][KW][pairs][4 channels][2 lanes], through one
 * shared helper per (split, K): the start function itself stays a short list of calls, which V8 never tiers up
 * (an inlined copy per layer made it a loop-heavy function TurboFan compiled in the background for 7-20 ms,
 * competing with the first inference for no use: it runs once).
 */
function buildWeights(ctx: WasmKernelCtx, p: DotPlan): void {
  const { s, d } = p;
  const tapBytes = d.pairs * 16;
  ctx.init.i32(p.codesAt).i32(p.wAt).i32(s.M / 4).i32(s.C).i32(s.KH * s.KW).i32(tapBytes).i32(s.KH * s.KW * tapBytes);
  if (d.shifts) ctx.init.i32(ctx.data.i8(d.shifts));
  const name = `dotWeights${d.split ? 'Split' : d.shifts ? 'Shifted' : ''}`;
  ctx.init.call(ctx.rt.once(name, d.shifts ? 8 : 7, (c) => dotWeights(c, d.split, !!d.shifts), false));
}

/** dotWeights(weights, out, M / 4, C, taps, tap bytes, 4-channel block bytes[, k per channel]): buildWeights' body. */
function dotWeights(c: Code, split: boolean, shifted: boolean): void {
  const [weights, out, M4, C, taps, tapBytes, mbBytes, kp] = [0, 1, 2, 3, 4, 5, 6, 7];
  const cp = c.local(); const mb = c.local(); const lp = c.local(); const pp = c.local(); const tp = c.local();
  const w = c.local(); const code = c.local(); const half = c.local(); const k = shifted ? c.local() : -1;
  const one = (): void => {
    c.get(pp).set(tp);
    c.forN({ local: taps }, () => {
      c.get(cp).load(4);
      if (shifted) c.get(k).op(OP.shr_s);
      c.set(w).bump(cp, 4);
      if (split) {
        // lo = ((w + 128) & 255) - 128, hi = (w - lo) >> 8: exact halves, lo in [-128, 127].
        c.get(tp).get(w).i32(128).op(OP.add).i32(255).op(OP.and).i32(128).op(OP.sub).tee(code).store(2);
        c.get(tp).get(w).get(code).op(OP.sub).i32(8).op(OP.shr_s).store(2, 2);
      } else c.get(tp).get(w).store(2);
      c.get(tp).get(tapBytes).op(OP.add).set(tp);
    });
  };
  c.get(weights).set(cp).get(out).set(mb).get(C).i32(1).op(OP.shr_u).set(half);
  c.forN({ local: M4 }, () => {
    c.get(mb).set(lp);
    c.forN(4, () => {
      c.get(lp).set(pp);
      if (shifted) { c.get(kp).loadU(1).set(k); c.bump(kp, 1); }
      if (split) c.forN({ local: C }, () => { one(); c.bump(pp, 16); });
      else {
        c.forN({ local: half }, () => { one(); c.bump(pp, 2); one(); c.bump(pp, 14); });
        c.get(C).i32(1).op(OP.and).if(() => one());
      }
      c.bump(lp, 4);
    });
    c.get(mb).get(mbBytes).op(OP.add).set(mb);
  });
}

/** Zero-padded channel-last int16 copy of the sample at local `xs` (in split form each x as the pair x, x << 8). */
function copyIn(c: Code, p: DotPlan): void {
  const { s, d } = p;
  const src = c.local(); const row = c.local(); const dst = c.local();
  c.i32(p.xh).i32(0).i32(d.xBytes).fill();
  const step = d.pairs * 4;
  c.get(p.xs).set(src).i32(p.xh + (s.pt * s.Wp + s.pl) * step).set(row);
  c.forN(s.C, () => {
    const r = c.local();
    c.get(row).set(r);
    c.forN(s.H, () => {
      c.get(r).set(dst);
      c.forN(s.W, () => {
        c.get(dst).get(src).load(p.xb);
        if (d.split) c.i32(65535).op(OP.and).get(src).load(p.xb).i32(24).op(OP.shl, OP.or).store(4);
        else c.store(2);
        c.bump(dst, step).bump(src, p.xb);
      });
      c.bump(r, s.Wp * step);
    });
    c.bump(row, d.split ? 4 : 2);
  });
}

/** Start-function weights (once), then per sample: input copy, 8 (or 4) channels x 4 positions per register block. */
export function dotConvSample(ctx: WasmKernelCtx, p: DotPlan): void {
  buildWeights(ctx, p);
  const c = ctx.code;
  const { s, d } = p;
  const rowBytes = s.Wp * d.pairs * 4;
  const posBytes = s.sw * d.pairs * 4;
  const tapBytes = d.pairs * 16;
  const mbBytes = s.KH * s.KW * tapBytes;
  copyIn(c, p);
  const acc = Array.from({ length: d.MB * P }, () => c.local(V128));
  const bv = Array.from({ length: d.MB }, () => c.local(V128));
  const wv = Array.from({ length: d.MB }, () => c.local(V128));
  const xv = c.local(V128);
  const t = Array.from({ length: 4 }, () => c.local(V128));
  const wblk = c.local(); const ablk = c.local(); const bp = c.local(); const xrow = c.local(); const xpos = c.local(); const xk = c.local();
  const wp = c.local(); const ap = c.local(); const xkh = c.local();
  c.i32(p.wAt).set(wblk).i32(p.acc).set(ablk).i32(p.biasAt).set(bp);
  c.forN(s.M / (4 * d.MB), () => {
    // Shifted channels start from 0: the bias is added after the shift (narrowOut).
    bv.forEach((v, k) => { if (d.shifts) c.i32(0).simd(SIMD.splat).set(v); else c.get(bp).simd(SIMD.load, 2, ...leb(k * 16)).set(v); });
    c.i32(p.xh).set(xrow).get(ablk).set(ap);
    c.forN(s.OH, () => {
      c.get(xrow).set(xpos);
      c.forN(d.OW4 / P, () => {
        acc.forEach((v, k) => { c.get(bv[Math.floor(k / P)]!).set(v); });
        c.get(wblk).set(wp);
        const segs = s.dw === 1 ? [{ off: 0, n: s.KW * d.pairs }] : Array.from({ length: s.KW }, (_, kw) => ({ off: kw * s.dw * d.pairs * 4, n: d.pairs }));
        c.get(xpos).set(xkh);
        c.forN(s.KH, () => {
          for (const sg of segs) {
            c.get(xkh).i32(sg.off).op(OP.add).set(xk);
            c.forN(sg.n, () => {
              wv.forEach((v, k) => { c.get(wp).simd(SIMD.load, 2, ...leb(k * mbBytes)).set(v); });
              for (let j = 0; j < P; j++) {
                c.get(xk).simd(SIMD.load32_splat, 2, ...leb(j * posBytes)).set(xv);
                wv.forEach((v, k) => { const a = acc[k * P + j]!; c.get(a).get(xv).get(v).simd(SIMD.dot16).simd(SIMD.add).set(a); });
              }
              c.bump(xk, 4).bump(wp, 16);
            });
          }
          c.bump(xkh, s.dh * rowBytes);
        });
        // Lane l of acc[k][j] is channel 4k + l of the block at position j: a 4x4 transpose per k (8 shuffles) gives
        // per channel its P = 4 consecutive positions, one store each into the channel-major buffer.
        for (let k = 0; k < d.MB; k++) {
          const a = acc.slice(k * P, k * P + P);
          c.get(a[0]!).get(a[1]!).simd(SHUFFLE, ...lanes32([0, 4, 1, 5])).set(t[0]!);
          c.get(a[0]!).get(a[1]!).simd(SHUFFLE, ...lanes32([2, 6, 3, 7])).set(t[1]!);
          c.get(a[2]!).get(a[3]!).simd(SHUFFLE, ...lanes32([0, 4, 1, 5])).set(t[2]!);
          c.get(a[2]!).get(a[3]!).simd(SHUFFLE, ...lanes32([2, 6, 3, 7])).set(t[3]!);
          for (let l = 0; l < 4; l++) {
            const [x, y] = l < 2 ? [t[0]!, t[2]!] : [t[1]!, t[3]!];
            const h = (l & 1) * 2;
            c.get(ap).get(x).get(y).simd(SHUFFLE, ...lanes32([h, h + 1, h + 4, h + 5])).simd(SIMD.store, 2, ...leb((4 * k + l) * d.PS * 4));
          }
        }
        c.bump(ap, P * 4).bump(xpos, P * posBytes);
      });
      c.bump(xrow, s.sh * rowBytes);
    });
    c.bump(wblk, d.MB * mbBytes).bump(ablk, 4 * d.MB * d.PS * 4).bump(bp, 16 * d.MB);
  });
  narrowOut(ctx, p);
}

/** Per channel: gain + narrow over its accumulators four at a time, then the valid columns to the output. */
function narrowOut(ctx: WasmKernelCtx, p: DotPlan): void {
  const c = ctx.code;
  const { s, d } = p;
  const ap = c.local(); const rp = c.local(); const hp = c.local(); const gp = c.local(); const yp = c.local(); const rowp = c.local(); const q = c.local();
  const kp = d.shifts ? c.local() : -1; const bp = d.shifts ? c.local() : -1;
  c.i32(p.acc).set(ap).i32(p.rAt).set(rp).i32(p.hiAt).set(hp).i32(p.gainAt).set(gp).get(p.ys).set(yp);
  if (d.shifts) c.i32(ctx.data.i8(d.shifts)).set(kp).i32(p.biasAt).set(bp);
  c.forN(s.M, () => {
    simdNarrow(c, ctx.rt, { acc: { local: ap }, count: d.PS, gp, G: p.G, rp, hp, lo: p.actMin, bits: p.bits, post: d.shifts ? { kp, bp } : undefined });
    if (d.shifts) c.bump(kp, 1).bump(bp, 4);
    c.get(ap).set(rowp);
    c.forN(s.OH, () => {
      c.get(rowp).set(q);
      copyNarrowed(c, q, yp, s.OW, p.yb);
      c.bump(rowp, d.OW4 * 4);
    });
    c.bump(ap, d.PS * 4).bump(rp, 2).bump(hp, 2).bump(gp, p.G);
  });
}

/** i8x16.shuffle; its 16 byte indices for four 32-bit lanes (0-3 the first operand's, 4-7 the second's). */
const SHUFFLE = 0x0d;
const lanes32 = (l: readonly number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

function leb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 127; n >>>= 7; if (n) b |= 128; out.push(b); } while (n);
  return out;
}
