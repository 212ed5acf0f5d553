// SIMD passes of a shift layer's channel: its weight list applied to 32 positions per block in registers, then gain + narrow.
import type { Code } from './encoder.js';
import { OP, SIMD, V128 } from './encoder.js';
import type { Runtime } from './runtime.js';

/** Positions per block: BLOCK / 4 i32x4 accumulators stay in registers across a channel's whole weight list. */
export const BLOCK = 32;
/** Bytes of one entry of a channel's weight list: tap address (position 0), weight (int32). */
export const ENTRY_BYTES = 8;

/**
 * acc[p] = bias + sum over the `n` entries at local `list` of x[tap + p] * w for p < count (a multiple of BLOCK):
 * per block the accumulators stay in v128 locals across the list, then are stored once. i32x4.mul wraps mod 2^32
 * like the shift-add terms it replaces (w = sum of +-2^sh, so x * w = sum of +-(x << sh) mod 2^32), and the
 * overflow proof (numerics.md) makes the order of the exact sum irrelevant: runInteger's bits.
 */
export function blockedSweep(c: Code, rt: Runtime, o: { list: number; n: number; acc: number; count: number; bias: number }): void {
  c.get(o.list).get(o.n).i32(o.acc).i32(o.count / BLOCK).get(o.bias).call(rt.once('vsweep', 5, vsweep, false));
}

/** The shared body of blockedSweep: params list address, entries, accumulator address, blocks, bias. */
function vsweep(c: Code): void {
  const o = { list: 0, n: 1, acc: 2, blocks: 3, bias: 4 };
  const a = Array.from({ length: BLOCK / 4 }, () => c.local(V128));
  const tp = c.local(); const base = c.local(); const wv = c.local(V128); const pos = c.local(); const ap = c.local();
  c.i32(0).set(pos).get(o.acc).set(ap);
  c.forN({ local: o.blocks }, () => {
    for (const v of a) c.get(o.bias).simd(SIMD.splat).set(v);
    c.get(o.list).set(tp);
    c.forN({ local: o.n }, () => {
      c.get(tp).load(4).get(pos).op(OP.add).set(base);
      c.get(tp).load(4, 4).simd(SIMD.splat).set(wv);
      a.forEach((v, k) => {
        c.get(v).get(base).simd(SIMD.load, 2, ...uleb16(k * 16)).get(wv).simd(SIMD.mul).simd(SIMD.add).set(v);
      });
      c.bump(tp, ENTRY_BYTES);
    });
    a.forEach((v, k) => { c.get(ap).get(v).simd(SIMD.store, 2, ...uleb16(k * 16)); });
    c.bump(ap, BLOCK * 4).bump(pos, BLOCK * 4);
  });
}

/** The memarg offset as LEB128. */
function uleb16(n: number): number[] {
  return n < 128 ? [n] : [(n & 127) | 128, n >> 7];
}

/**
 * In place over acc[0..count): v = gain(acc) (G digit codes at local `gp`: sign * (acc >> j), a zero code adds 0),
 * then clamp(requant(v, r, bits), lo, hi) with r at local `rp` and hi at local `hp` (int16 each): numerics.md, four lanes at a
 * time (the same int32 wrap-around, arithmetic shifts and clamps as the scalar narrow()/gain()).
 */
export function simdNarrow(c: Code, rt: Runtime, o: { acc: number | { local: number }; count: number; gp: number; G: number; rp: number; hp: number; lo: number; bits: number; post?: { kp: number; bp: number } }): void {
  if (typeof o.acc === 'number') c.i32(o.acc); else c.get(o.acc.local);
  c.i32(o.count / 4).get(o.gp).get(o.rp).get(o.hp).i32(o.lo).i32(o.bits);
  // post: each accumulator first becomes (acc << k) + bias, k (uint8) and bias (int32) at the locals kp, bp.
  if (o.post) c.get(o.post.kp).get(o.post.bp).call(rt.once(`vnarrow${o.G}s`, 9, (f) => vnarrow(f, o.G, true), false));
  else c.call(rt.once(`vnarrow${o.G}`, 7, (f) => vnarrow(f, o.G, false), false));
}

/** The shared body of simdNarrow for G gain digits: params acc address, vectors, gain/rshift/hi pointers, lo, bits[, k, bias pointers]. */
function vnarrow(c: Code, G: number, post: boolean): void {
  const o = { acc: 0, n4: 1, gp: 2, rp: 3, hp: 4, lo: 5, bits: 6, kp: 7, bp: 8 };
  const dig = Array.from({ length: G }, () => ({ j: c.local(), sg: c.local(V128), nz: c.local(V128) }));
  const code = c.local(); const r = c.local(); const s = c.local(); const rnd = c.local(V128);
  const lo = c.local(V128); const hi = c.local(V128); const mn = c.local(V128); const mx = c.local(V128);
  const acc = c.local(V128); const v = c.local(V128); const ap = c.local();
  const k = post ? c.local() : -1; const bias = post ? c.local(V128) : -1;
  if (post) c.get(o.kp).loadU(1).set(k).get(o.bp).load(4).simd(SIMD.splat).set(bias);
  dig.forEach((d, k) => {
    c.get(o.gp).load(1, k).tee(code).i32(31).op(OP.shr_s).tee(s).simd(SIMD.splat).set(d.sg);
    c.get(code).get(s).op(OP.xor).get(s).op(OP.sub).i32(1).op(OP.sub).set(d.j);
    c.i32(0).get(code).i32(0).op(OP.ne).op(OP.sub).simd(SIMD.splat).set(d.nz);
  });
  c.get(o.lo).simd(SIMD.splat).set(lo).get(o.hp).load(2).simd(SIMD.splat).set(hi);
  c.i32(1).get(o.bits).i32(1).op(OP.sub, OP.shl).i32(1).op(OP.sub).tee(code).simd(SIMD.splat).set(mx).get(code).i32(-1).op(OP.xor).simd(SIMD.splat).set(mn);
  c.get(o.rp).load(2).set(r);
  // r > 0: rounding constant 2^(r-1) and shift r; r <= 0: saturate, then shift left by s = min(-r, bits).
  c.i32(0).get(r).op(OP.sub).set(s);
  c.get(o.bits).get(s).get(s).get(o.bits).op(OP.gt_s, OP.select).set(s);
  c.i32(1).get(r).i32(1).op(OP.sub, OP.shl).simd(SIMD.splat).set(rnd);
  const sweep = (positive: boolean): void => {
    c.get(o.acc).set(ap);
    c.forN({ local: o.n4 }, () => {
      c.get(ap).simd(SIMD.load, 2, 0);
      if (post) c.get(k).simd(SIMD.shl).get(bias).simd(SIMD.add);
      c.set(acc);
      if (G === 0) c.get(acc).set(v);
      else {
        dig.forEach((d, k) => {
          c.get(acc).get(d.j).simd(SIMD.shr_s).get(d.sg).simd(SIMD.xor).get(d.sg).simd(SIMD.sub).get(d.nz).simd(SIMD.and);
          if (k > 0) c.get(v).simd(SIMD.add);
          c.set(v);
        });
      }
      if (positive) c.get(v).get(rnd).simd(SIMD.add).get(r).simd(SIMD.shr_s).set(v);
      else c.get(v).get(mn).simd(SIMD.max_s).get(mx).simd(SIMD.min_s).get(s).simd(SIMD.shl).set(v);
      c.get(ap).get(v).get(lo).simd(SIMD.max_s).get(hi).simd(SIMD.min_s).simd(SIMD.store, 2, 0);
      c.bump(ap, 16);
    });
  };
  c.get(r).i32(0).op(OP.gt_s).if(() => sweep(true), () => sweep(false));
}

/**
 * Copies `n` narrowed int32 accumulators at local `src` to the output at local `dst` (int8 or int16, both locals
 * advanced): four per step through the saturating narrows (exact: the values are clamped into the output range
 * already), the n % 4 rest one by one, so nothing past the row is written.
 */
export function copyNarrowed(c: Code, src: number, dst: number, n: number, yb: number): void {
  const v = c.local(V128);
  if (yb <= 2) {
    c.forN(n >> 2, () => {
      c.get(dst).get(src).simd(SIMD.load, 2, 0).tee(v).get(v).simd(NARROW32);
      if (yb === 1) c.set(v).get(v).get(v).simd(NARROW16).simd(STORE32_LANE, 0, 0, 0);
      else c.simd(STORE64_LANE, 1, 0, 0);
      c.bump(src, 16).bump(dst, 4 * yb);
    });
  }
  c.forN(yb <= 2 ? n & 3 : n, () => { c.get(dst).get(src).load(4).store(yb); c.bump(dst, yb).bump(src, 4); });
}

/** i16x8.narrow_i32x4_s, i8x16.narrow_i16x8_s, v128.store32_lane, v128.store64_lane. */
const NARROW32 = 0x85;
const NARROW16 = 0x65;
const STORE32_LANE = 0x5a;
const STORE64_LANE = 0x5b;
