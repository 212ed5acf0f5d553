// Integer numerics contract (docs/numerics.md): fixed-point helpers, CSD, LUTs, ShiftConv/ShiftGemm vs naive references.
import { describe, expect, it } from 'vitest';
import { csdApply, csdDigits, lutTable, requant, rshr, sat, shl } from '../src/ir/fixed-point.js';
import { floatTensor, tensor, type Tensor } from '../src/ir/tensor.js';
import { shiftConvCounts, type ShiftConvAttrs } from '../src/ir/ops/shift-conv.js';
import { mulberry32, pick, randInt, type Rng } from './helpers/prng.js';
import { expectDiag, run1 } from './helpers/ops.js';

describe('fixed-point primitives', () => {
  it('rshr rounds half up on negatives and halves', () => {
    expect(rshr(5, 1)).toBe(3);
    expect(rshr(-5, 1)).toBe(-2);
    expect(rshr(-6, 2)).toBe(-1);
    expect(rshr(-7, 2)).toBe(-2);
    expect(rshr(6, 2)).toBe(2);
    expect(rshr(-1, 1)).toBe(0);
    expect(rshr(-3, 1)).toBe(-1);
    expect(rshr(1, 31)).toBe(0);
    expect(rshr(2 ** 30 - 1, 31)).toBe(0);
    expect(rshr(-(2 ** 30) - 1, 31)).toBe(-1);
  });
  it('r = 0 is the identity and r < 0 shifts left', () => {
    expect(rshr(-17, 0)).toBe(-17);
    expect(rshr(-3, -2)).toBe(-12);
    expect(requant(-3, -2, 8)).toBe(-12);
  });
  it('shl is exact up to the int32 limit (and wraps like C beyond it)', () => {
    expect(shl(1, 30)).toBe(2 ** 30);
    expect(shl(-1, 31)).toBe(-(2 ** 31));
    expect(shl(127, 24)).toBe(127 * 2 ** 24);
    expect(shl(-128, 24)).toBe(-(2 ** 31));
    expect(shl(1, 31)).toBe(-(2 ** 31));
  });
  it('sat and requant saturate at both ends', () => {
    expect(sat(128, 8)).toBe(127);
    expect(sat(-129, 8)).toBe(-128);
    expect(sat(-128, 8)).toBe(-128);
    expect(sat(40000, 16)).toBe(32767);
    expect(sat(-40000, 16)).toBe(-32768);
    expect(sat(NaN, 8)).toBe(0);
    expect(requant(2 ** 30, 4, 8)).toBe(127);
    expect(requant(-(2 ** 31), 4, 8)).toBe(-128);
    expect(requant(255, 1, 8)).toBe(127); // 127.5 rounds up to 128, then saturates
    expect(requant(-257, 1, 8)).toBe(-128);
  });
  it('requant with r < 0 equals sat(v * 2^-r) without wrapping', () => {
    for (const v of [-(2 ** 31), -70000, -129, -1, 0, 1, 3, 64, 127, 2 ** 31 - 1]) {
      for (const r of [-1, -3, -8, -15, -31]) {
        for (const bits of [8, 16]) expect(requant(v, r, bits)).toBe(sat(v * 2 ** -r, bits));
      }
    }
  });
});

describe('canonical signed digits', () => {
  it('1/N for N in 1..64: close to s/N and non-adjacent', () => {
    for (let N = 1; N <= 64; N++) {
      const d = csdDigits(1 / N);
      expect(d.length).toBe(17);
      let value = 0;
      for (let j = 0; j < d.length; j++) {
        value += d[j]! * 2 ** -j;
        if (j > 0) expect(d[j]! !== 0 && d[j - 1]! !== 0).toBe(false);
      }
      expect(value * 2 ** 16).toBe(Math.floor(2 ** 16 / N + 0.5));
      for (const s of [0, 1, -1, 127 * N, -128 * N, 1234, -999]) {
        const got = csdApply(s, d) / 2 ** 16;
        expect(Math.abs(got - s / N)).toBeLessThanOrEqual(Math.abs(s) * 2 ** -17 + 1e-12);
      }
    }
  });
  it('negative values and exact powers of two', () => {
    expect(Array.from(csdDigits(0.5, 4))).toEqual([0, 1, 0, 0, 0]);
    expect(Array.from(csdDigits(1, 4))).toEqual([1, 0, 0, 0, 0]);
    expect(Array.from(csdDigits(-0.25, 4))).toEqual([0, 0, -1, 0, 0]);
    expect(Array.from(csdDigits(15 / 16, 4))).toEqual([1, 0, 0, 0, -1]);
    expect(() => csdDigits(1.5)).toThrow();
  });
});

describe('lookup tables', () => {
  it('identity, sigmoid and saturation', () => {
    const id = lutTable((v) => v, 4, 4);
    for (let q = -128; q < 128; q++) expect(id[q + 128]).toBe(q);
    const sig = lutTable((v) => 1 / (1 + Math.exp(-v)), 4, 7);
    expect(sig[128]).toBe(64); // sigmoid(0) * 128 = 64
    expect(sig[255]).toBe(127); // 0.9996 * 128 -> 128 saturates
    expect(sig[0]).toBe(0);
    const nan = lutTable(() => NaN, 0, 0);
    expect(nan.every((v) => v === 0)).toBe(true);
  });
  it('Lut op indexes by q + 128 and rejects non-int8 input', () => {
    const table = Array.from(lutTable((v) => -v, 0, 0));
    const y = run1({ kind: 'Lut', attrs: { table } }, tensor('int8', [4], [-128, -1, 0, 127]));
    expect(Array.from(y.data)).toEqual([127, 1, 0, -127]);
    expect(y.data).toBeInstanceOf(Int8Array);
    expectDiag(() => run1({ kind: 'Lut', attrs: { table } }, floatTensor([1], [0])), 'SAC013');
  });
});

/** Decodes one code to its exact integer weight contribution sign * 2^sh. */
function decode(c: number): number {
  return c === 0 ? 0 : Math.sign(c) * 2 ** (Math.abs(c) - 1);
}

/** Rounding right shift by definition, in float64 (exact: every value is an integer below 2^53). */
function refRequant(acc: number, r: number, bits: number): number {
  const v = r > 0 ? Math.floor((acc + 2 ** (r - 1)) / 2 ** r) : acc * 2 ** -r;
  return Math.min(2 ** (bits - 1) - 1, Math.max(-(2 ** (bits - 1)), v));
}

/** The channel gain by definition: sum of sign * floor(acc / 2^j) over the channel's digits, in float64. */
function refGain(acc: number, gain: Tensor | undefined, m: number): number {
  if (!gain) return acc;
  const G = gain.shape[1]!;
  let v = 0;
  for (let j = 0; j < G; j++) {
    const c = gain.data[m * G + j]!;
    if (c) v += Math.sign(c) * Math.floor(acc / 2 ** (Math.abs(c) - 1));
  }
  return v;
}

/** Naive direct ShiftConv: decoded integer weights, plain integer conv, gain, then requant and clamp. */
function refShiftConv(a: ShiftConvAttrs, x: Tensor, codes: Tensor, bias: Tensor, rsh: Tensor, outShape: number[], gain?: Tensor): number[] {
  const two = a.kernel.length === 2;
  const [N, C] = x.shape as [number, number];
  const H = two ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = codes.shape[0]!;
  const [KH, KW] = two ? a.kernel : [1, a.kernel[0]!];
  const [sH, sW] = two ? a.strides : [1, a.strides[0]!];
  const [dH, dW] = two ? a.dilations : [1, a.dilations[0]!];
  const [pT, pL] = two ? [a.pads[0]!, a.pads[1]!] : [0, a.pads[0]!];
  const OH = two ? outShape[2]! : 1;
  const OW = outShape[outShape.length - 1]!;
  const cPerG = C / a.group;
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = bias.data[m]!;
    const g = Math.floor(m / (M / a.group));
    for (let ci = 0; ci < cPerG; ci++) for (let kh = 0; kh < KH!; kh++) for (let kw = 0; kw < KW!; kw++) {
      const ih = oh * sH! + kh * dH! - pT;
      const iw = ow * sW! + kw * dW! - pL;
      const xv = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : x.data[((n * C + g * cPerG + ci) * H + ih) * W + iw]!;
      let w = 0;
      for (let t = 0; t < a.terms; t++) w += decode(codes.data[(((m * cPerG + ci) * KH! + kh) * KW! + kw) * a.terms + t]!);
      acc += w * xv;
    }
    out.push(Math.min(a.actMax, Math.max(a.actMin, refRequant(refGain(acc, gain, m), rsh.data[m]!, a.bits))));
  }
  return out;
}

function randTensor(rng: Rng, dtype: 'int8' | 'int16' | 'int32', shape: number[], lo: number, hi: number): Tensor {
  const t = tensor(dtype, shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = randInt(rng, lo, hi);
  return t;
}

function randomShiftConvCase(rng: Rng, seed: number) {
  const two = seed % 3 !== 0;
  const r = two ? 2 : 1;
  const depthwise = seed % 5 === 0;
  const group = depthwise ? randInt(rng, 1, 4) : pick(rng, [1, 1, 2]);
  const C = depthwise ? group : group * randInt(rng, 1, 3);
  const M = depthwise ? group : group * randInt(rng, 1, 3);
  const kernel = Array.from({ length: r }, () => randInt(rng, 1, 3));
  const dilations = Array.from({ length: r }, () => randInt(rng, 1, 2));
  const strides = Array.from({ length: r }, () => randInt(rng, 1, 2));
  const pads = Array.from({ length: 2 * r }, (_, i) => randInt(rng, 0, kernel[i % r]! - 1));
  const spatial = Array.from({ length: r }, (_, i) => randInt(rng, (kernel[i]! - 1) * dilations[i]! + 1, 7));
  const bits = seed % 4 === 3 ? 16 : 8;
  const xBits = pick(rng, [8, bits]);
  const shiftBits = randInt(rng, 0, 3);
  const terms = randInt(rng, 1, 3);
  const relu = seed % 2 === 0;
  const hi = 2 ** (bits - 1) - 1;
  const attrs: ShiftConvAttrs = { group, kernel, strides, pads, dilations, terms, shiftBits, bits, actMin: relu ? 0 : -hi - 1, actMax: hi };
  const xMax = 2 ** (xBits - 1);
  const x = randTensor(rng, xBits === 16 ? 'int16' : 'int8', [randInt(rng, 1, 2), C, ...spatial], -xMax, xMax - 1);
  const maxCode = 2 ** shiftBits;
  const codes = randTensor(rng, 'int8', [M, C / group, ...kernel, terms], -maxCode, maxCode);
  // Prune one channel entirely (bias only) to cover that path.
  if (M > 1) codes.data.fill(0, 0, codes.data.length / M);
  const bias = randTensor(rng, 'int32', [M], -5000, 5000);
  const rsh = randTensor(rng, 'int32', [M], -2, 12);
  // Every third case has a channel gain of up to three digits (shifts 0..15, some slots empty).
  const gain = seed % 3 === 1 ? randTensor(rng, 'int8', [M, 3], -16, 16) : undefined;
  return { attrs, x, codes, bias, rsh, gain };
}

describe('ShiftConv kernel', () => {
  it('matches the naive definition on random seeded cases (groups, depthwise, stride, padding, dilation, int16)', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const rng = mulberry32(seed);
      const { attrs, x, codes, bias, rsh, gain } = randomShiftConvCase(rng, seed);
      const y = gain ? run1({ kind: 'ShiftConv', attrs }, x, codes, bias, rsh, gain) : run1({ kind: 'ShiftConv', attrs }, x, codes, bias, rsh);
      expect(y.dtype).toBe(attrs.bits === 16 ? 'int16' : 'int8');
      expect(Array.from(y.data), `seed ${seed}`).toEqual(refShiftConv(attrs, x, codes, bias, rsh, [...y.shape], gain));
    }
  });
  it('shift 0 and 2^B - 1, bias only, and shift/add counts', () => {
    const attrs: ShiftConvAttrs = { group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], terms: 2, shiftBits: 3, bits: 8, actMin: -128, actMax: 127 };
    const x = tensor('int8', [1, 1, 1, 2], [3, -128]);
    // channel 0: w = 2^0 - 2^7 = -127; channel 1: pruned (bias only)
    const codes = tensor('int8', [2, 1, 1, 1, 2], [1, -8, 0, 0]);
    const y = run1({ kind: 'ShiftConv', attrs }, x, codes, tensor('int32', [2], [5, -77]), tensor('int32', [2], [7, 0]));
    expect(Array.from(y.data)).toEqual([refRequant(5 - 127 * 3, 7, 8), refRequant(5 + 127 * 128, 7, 8), -77, -77]);
    expect(shiftConvCounts(attrs, codes, [...y.shape])).toEqual({ shifts: 4, adds: 8 });
    expect(() => run1({ kind: 'ShiftConv', attrs }, x, tensor('int8', [2, 1, 1, 1, 2], [10, 0, 0, 0]), tensor('int32', [2]), tensor('int32', [2]))).toThrow(/outside/);
  });
  it('channel gain: floors negatives, identity digit, empty slots, bad digit rejected (SAC012)', () => {
    const attrs: ShiftConvAttrs = { group: 1, kernel: [1], strides: [1], pads: [0, 0], dilations: [1], terms: 1, shiftBits: 0, bits: 16, actMin: -32768, actMax: 32767 };
    const x = tensor('int8', [1, 1, 1], [-7]);
    const codes = tensor('int8', [3, 1, 1, 1], [1, 1, 1]);
    const zero = tensor('int32', [3]);
    // acc = -7: gain 1 - 1/2 + 1/4 -> -7 - floor(-3.5) + floor(-1.75) = -7 + 4 - 2 = -5; identity; 1/2 alone -> -4.
    const gain = tensor('int8', [3, 3], [1, -2, 3, 1, 0, 0, 0, 2, 0]);
    expect(Array.from(run1({ kind: 'ShiftConv', attrs }, x, codes, zero, zero, gain).data)).toEqual([-5, -7, -4]);
    expectDiag(() => run1({ kind: 'ShiftConv', attrs }, x, codes, zero, zero, tensor('int8', [3, 3], [17, 0, 0, 1, 0, 0, 1, 0, 0])), 'SAC012');
    expect(() => run1({ kind: 'ShiftConv', attrs }, x, codes, zero, zero, tensor('int8', [2, 3]))).toThrow(/gain shape/);
  });
  it('channelMax clamps each output channel at its own bound; a wrong length is rejected', () => {
    const attrs: ShiftConvAttrs = { group: 1, kernel: [1], strides: [1], pads: [0, 0], dilations: [1], terms: 1, shiftBits: 0, bits: 8, actMin: 0, actMax: 127, channelMax: [96, 127, 5] };
    const x = tensor('int8', [1, 1, 2], [120, -3]);
    const codes = tensor('int8', [3, 1, 1, 1], [1, 1, 1]);
    const zero = tensor('int32', [3]);
    expect(Array.from(run1({ kind: 'ShiftConv', attrs }, x, codes, zero, zero).data)).toEqual([96, 0, 120, 0, 5, 0]);
    expectDiag(() => run1({ kind: 'ShiftConv', attrs: { ...attrs, channelMax: [96, 127] } }, x, codes, zero, zero), 'SAC012');
    expectDiag(() => run1({ kind: 'ShiftConv', attrs: { ...attrs, channelMax: [96, 127, 128] } }, x, codes, zero, zero), 'SAC012');
  });
  it('rejects float inputs with SAC013', () => {
    const attrs: ShiftConvAttrs = { group: 1, kernel: [1], strides: [1], pads: [0, 0], dilations: [1], terms: 1, shiftBits: 2, bits: 8, actMin: -128, actMax: 127 };
    expectDiag(() => run1({ kind: 'ShiftConv', attrs }, floatTensor([1, 1, 2]), tensor('int8', [1, 1, 1, 1]), tensor('int32', [1]), tensor('int32', [1])), 'SAC013');
    expectDiag(() => run1({ kind: 'ShiftConv', attrs }, tensor('int8', [1, 1, 2]), tensor('int8', [1, 1, 1, 1]), floatTensor([1]), tensor('int32', [1])), 'SAC013');
  });
});

describe('ShiftGemm kernel', () => {
  it('matches the naive definition', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rng = mulberry32(1000 + seed);
      const bits = seed % 2 ? 8 : 16;
      // Shift windows small enough that the overflow proof holds (wrapping is tested separately).
      const [N, D, M, K, B] = [randInt(rng, 1, 3), randInt(rng, 1, 20), randInt(rng, 1, 6), randInt(rng, 1, 3), randInt(rng, 0, bits === 8 ? 4 : 2)];
      const x = randTensor(rng, bits === 16 ? 'int16' : 'int8', [N, D], -(2 ** (bits - 1)), 2 ** (bits - 1) - 1);
      const codes = randTensor(rng, 'int8', [M, D, K], -(2 ** B), 2 ** B);
      const bias = randTensor(rng, 'int32', [M], -1000, 1000);
      const rsh = randTensor(rng, 'int32', [M], -1, 10);
      const attrs = { terms: K, shiftBits: B, bits, actMin: -(2 ** (bits - 1)), actMax: 2 ** (bits - 1) - 1 };
      const gain = seed % 2 ? randTensor(rng, 'int8', [M, 2], -16, 16) : undefined;
      const y = gain ? run1({ kind: 'ShiftGemm', attrs }, x, codes, bias, rsh, gain) : run1({ kind: 'ShiftGemm', attrs }, x, codes, bias, rsh);
      const want: number[] = [];
      for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
        let acc = bias.data[m]!;
        for (let d = 0; d < D; d++) for (let k = 0; k < K; k++) acc += decode(codes.data[(m * D + d) * K + k]!) * x.data[n * D + d]!;
        want.push(refRequant(refGain(acc, gain, m), rsh.data[m]!, bits));
      }
      expect(Array.from(y.data), `seed ${seed}`).toEqual(want);
    }
  });
});
