// Exact wide accumulators in float32: v = 256 H + L with both halves below 2^24, for layers whose bound passes 2^24.
import type { OnnxBuilder } from './builder.js';

/** A wide integer v = 256 * H + L, H and L float32 tensors holding integers (L of any sign). */
export interface Pair { H: string; L: string }

/** Largest per-channel accumulator magnitude: |bias_c| + xMax * sum |w| over channel c's weights. */
export function accumulatorBound(w: ArrayLike<number>, bias: ArrayLike<number>, M: number, xMax: number): number {
  const per = w.length / M;
  let worst = 0;
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let i = m * per; i < (m + 1) * per; i++) s += Math.abs(w[i]!);
    worst = Math.max(worst, Math.abs(bias[m]!) + xMax * s);
  }
  return worst;
}

/** Float32 adds and multiplies of integers are exact below this magnitude. */
export const EXACT = 2 ** 24;

/**
 * The accumulator as a pair: x = 256 xh + xl (xh = floor(x / 256), xl in [0, 255]) and bias likewise, so
 * acc = 256 (W*xh + bh) + (W*xl + bl), each half a convolution whose partial sums stay exact (caller checks the bound).
 */
export function splitAccumulate(b: OnnxBuilder, x: string, bias: ArrayLike<number>, stem: string, layer: (input: string, bias: string) => string): Pair {
  const xh = b.node('Floor', [b.node('Mul', [x, b.scalar(1 / 256)], {}, `${stem}_xh_div`)], {}, `${stem}_xh`);
  const xl = b.node('Sub', [x, b.node('Mul', [xh, b.scalar(256)], {}, `${stem}_xh256`)], {}, `${stem}_xl`);
  const bh = Array.from(bias, (v) => Math.floor(v / 256));
  const bl = Array.from(bias, (v, i) => v - 256 * bh[i]!);
  return { H: layer(xh, b.floats(`${stem}_bias_hi`, [bh.length], bh)), L: layer(xl, b.floats(`${stem}_bias_lo`, [bl.length], bl)) };
}

/**
 * The accumulator as a pair by splitting the weights instead: w = 256 wh + wl with wl in [-128, 128), so
 * acc = 256 (Wh*x + bh) + (Wl*x + bl); suits int8 inputs against large power-of-two weights.
 */
export function splitWeights(b: OnnxBuilder, x: string, w: ArrayLike<number>, shape: readonly number[], bias: ArrayLike<number>, stem: string,
  layer: (input: string, weights: string, bias: string) => string): Pair {
  const { hi: wh, lo: wl } = splitHalves(w);
  const { hi: bh, lo: bl } = splitHalves(bias);
  return {
    H: layer(x, b.floats(`${stem}_weight_hi`, shape, wh), b.floats(`${stem}_bias_hi`, [bh.length], bh)),
    L: layer(x, b.floats(`${stem}_weight_lo`, shape, wl), b.floats(`${stem}_bias_lo`, [bl.length], bl)),
  };
}

/** v = 256 hi + lo with lo in [-128, 128). */
export function splitHalves(v: ArrayLike<number>): { hi: number[]; lo: number[] } {
  const hi = Array.from(v, (x) => Math.floor((x + 128) / 256));
  return { hi, lo: Array.from(v, (x, i) => x - 256 * hi[i]!) };
}

/** Per-channel constant shaped to broadcast over axis 1 of a rank-r tensor. */
function perChannel(b: OnnxBuilder, stem: string, rank: number, data: readonly number[]): string {
  return b.floats(stem, [1, data.length, ...Array<number>(Math.max(0, rank - 2)).fill(1)], data);
}

/**
 * floor(v / 2^j_c) per channel (j_c >= 0), exactly. With H' = H + floor(L / 256) and r = L mod 256:
 * for j < 8, H' = 2^j a + bb gives (a, floor((256 bb + r) / 2^j)); for j >= 8 the value is floor(H' / 2^(j-8)).
 */
export function floorShift(b: OnnxBuilder, p: Pair, j: readonly number[], rank: number, stem: string): Pair {
  const q = b.node('Floor', [b.node('Mul', [p.L, b.scalar(1 / 256)], {}, `${stem}_q_div`)], {}, `${stem}_q`);
  const r = b.node('Sub', [p.L, b.node('Mul', [q, b.scalar(256)], {}, `${stem}_q256`)], {}, `${stem}_r`);
  const H = b.node('Add', [p.H, q], {}, `${stem}_hn`);
  const small = j.map((v) => (v < 8 ? 1 : 0));
  let A: Pair | undefined;
  let B: string | undefined;
  if (small.some((m) => m)) {
    const down = perChannel(b, `${stem}_sa`, rank, j.map((v) => (v < 8 ? 2 ** -v : 1)));
    const up = perChannel(b, `${stem}_sa_up`, rank, j.map((v) => (v < 8 ? 2 ** v : 1)));
    const a = b.node('Floor', [b.node('Mul', [H, down], {}, `${stem}_a_div`)], {}, `${stem}_a`);
    const bb = b.node('Sub', [H, b.node('Mul', [a, up], {}, `${stem}_a_up`)], {}, `${stem}_bb`);
    const lo = b.node('Floor', [b.node('Mul', [b.node('Add', [b.node('Mul', [bb, b.scalar(256)], {}, `${stem}_bb256`), r], {}, `${stem}_low`), down], {}, `${stem}_lo_div`)], {}, `${stem}_lo`);
    A = { H: a, L: lo };
  }
  if (small.some((m) => !m)) B = b.node('Floor', [b.node('Mul', [H, perChannel(b, `${stem}_sb`, rank, j.map((v) => (v >= 8 ? 2 ** -(v - 8) : 1)))], {}, `${stem}_b_div`)], {}, `${stem}_b`);
  if (!B) return A!;
  const zero = b.node('Mul', [B, b.scalar(0)], {}, `${stem}_zero`);
  if (!A) return { H: zero, L: B };
  // Channels pick their branch by a 0/1 mask (both branches are finite everywhere, so 0 * other = 0).
  const m = perChannel(b, `${stem}_mask`, rank, small);
  const notM = perChannel(b, `${stem}_mask_not`, rank, small.map((v) => 1 - v));
  return {
    H: b.node('Mul', [A.H, m], {}, `${stem}_hsel`),
    L: b.node('Add', [b.node('Mul', [A.L, m], {}, `${stem}_la`), b.node('Mul', [B, notM], {}, `${stem}_lb`)], {}, `${stem}_lsel`),
  };
}

/** sign_c * p per channel (sign in {-1, 0, 1}). */
export function scalePair(b: OnnxBuilder, p: Pair, sign: readonly number[], rank: number, stem: string): Pair {
  const s = perChannel(b, `${stem}_sign`, rank, sign);
  return { H: b.node('Mul', [p.H, s], {}, `${stem}_sh`), L: b.node('Mul', [p.L, s], {}, `${stem}_sl`) };
}

export function sumPairs(b: OnnxBuilder, ps: readonly Pair[], stem: string): Pair {
  if (ps.length === 1) return ps[0]!;
  return { H: b.node('Sum', ps.map((p) => p.H), {}, `${stem}_hsum`), L: b.node('Sum', ps.map((p) => p.L), {}, `${stem}_lsum`) };
}

/**
 * requant(v, r_c) before the clamp: add the rounding constant 2^(r-1) (to L or, past 2^8, to H), floor-shift
 * by max(r, 0), then 256 H + L (rounded only when its magnitude passes 2^24, where the clamp saturates anyway)
 * times 2^max(-r, 0) for left shifts.
 */
export function requantPair(b: OnnxBuilder, p: Pair, rshift: readonly number[], rank: number, stem: string): string {
  const cL = rshift.map((r) => (r >= 1 && r - 1 < 8 ? 2 ** (r - 1) : 0));
  const cH = rshift.map((r) => (r - 1 >= 8 ? 2 ** (r - 9) : 0));
  const rounded: Pair = {
    H: b.node('Add', [p.H, perChannel(b, `${stem}_round_hi`, rank, cH)], {}, `${stem}_rh`),
    L: b.node('Add', [p.L, perChannel(b, `${stem}_round_lo`, rank, cL)], {}, `${stem}_rl`),
  };
  const s = floorShift(b, rounded, rshift.map((r) => Math.max(r, 0)), rank, `${stem}_rq`);
  const v = b.node('Add', [b.node('Mul', [s.H, b.scalar(256)], {}, `${stem}_v256`), s.L], {}, `${stem}_v`);
  if (rshift.every((r) => r >= 0)) return v;
  return b.node('Mul', [v, perChannel(b, `${stem}_lshift`, rank, rshift.map((r) => 2 ** Math.max(-r, 0)))], {}, `${stem}_vl`);
}
