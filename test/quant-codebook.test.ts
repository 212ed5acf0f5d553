// Codebook tests: every stored encoding decodes to its value, K=1 is {0, 2^-p}, log vs linear rounding.
import { describe, expect, it } from 'vitest';
import { codebook } from '../src/passes/quant/codebook.js';

describe('quant codebook', () => {
  it('every entry decodes to its value with its term count and minimal terms', () => {
    for (const [K, B] of [[1, 1], [1, 3], [2, 2], [2, 3], [3, 3], [4, 2], [2, 5]] as const) {
      const cb = codebook(K, B);
      expect(cb.values[0]).toBe(0);
      const codes = new Int8Array(K);
      for (let i = 0; i < cb.size; i++) {
        if (i > 0) expect(cb.values[i]!).toBeGreaterThan(cb.values[i - 1]!);
        const v = cb.values[i]!;
        const n = cb.encodeInto(-v, codes, 0);
        expect(cb.decode(codes) === -v).toBe(true);
        expect(codes.filter((c) => c !== 0).length).toBe(n);
        for (const c of codes) expect(Math.abs(c)).toBeLessThanOrEqual(cb.span + 1);
        // Minimality: a value representable with fewer terms appears in the smaller codebook.
        if (n > 1) expect(codebook(n - 1, B).indexOf(v)).toBe(-1);
      }
    }
  });

  it('K=1 is exactly {0} and the powers 2^-p, p < 2^B', () => {
    const cb = codebook(1, 3);
    expect(Array.from(cb.values)).toEqual([0, ...Array.from({ length: 8 }, (_, p) => 2 ** -(7 - p))]);
    expect(Array.from(cb.encode(1))).toEqual([8]);
    expect(Array.from(cb.encode(-(2 ** -7)))).toEqual([-1]);
    expect(Array.from(cb.encode(0))).toEqual([0]);
  });

  it('prefers the encoding with the smaller sum of |terms| (overflow bound), largest term first', () => {
    const cb = codebook(2, 3);
    expect(cb.decode(cb.encode(0.75))).toBe(0.75);
    expect(Array.from(cb.encode(0.75))).toEqual([7, 6]); // 0.5 + 0.25, not 1 - 0.25
    expect(cb.indexOf(0.3)).toBe(-1);
    expect(() => cb.encode(0.3)).toThrow();
  });

  it('neighbours bracket x by binary search', () => {
    const cb = codebook(2, 2);
    expect(cb.neighbours(0.3)).toEqual([0.25, 0.375]);
    expect(cb.neighbours(-0.3)).toEqual([-0.375, -0.25]);
    expect(cb.neighbours(0.5)).toEqual([0.5, 0.5]);
    expect(cb.neighbours(5)).toEqual([2, 2]);
  });

  it('log rounding uses the geometric midpoint, linear the arithmetic one', () => {
    const cb = codebook(1, 3);
    // Between 0.5 and 1: geometric midpoint sqrt(0.5) ~ 0.7071, arithmetic 0.75.
    expect(cb.nearestLog(0.72)).toBe(1);
    expect(cb.nearestLinear(0.72)).toBe(0.5);
    expect(cb.nearestLog(0.7)).toBe(0.5);
    expect(cb.nearestLog(-0.72)).toBe(-1);
    expect(cb.nearestLog(3)).toBe(1);
    // Below half the smallest power rounds to zero (no log midpoint with 0).
    expect(cb.nearestLog(2 ** -9)).toBe(0);
    expect(cb.nearestLog(2 ** -8 * 1.01)).toBe(2 ** -7);
    // K=2 greedy: 0.7 -> 0.5 + 0.25 (residual 0.2 rounds to 0.25 in log2).
    const cb2 = codebook(2, 3);
    expect(cb2.nearestLog(0.7)).toBe(0.75);
    expect(cb2.nearestLog(0.66)).toBe(0.625);
    // nearestLinear is the true nearest codebook value (brute force over the signed codebook).
    let seed = 7;
    for (let r = 0; r < 200; r++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const x = (seed / 2147483648 - 0.5) * 5;
      let best = Infinity;
      for (const v of cb2.values) best = Math.min(best, Math.abs(v - Math.abs(x)));
      expect(Math.abs(cb2.nearestLinear(x) - x)).toBe(best);
      const [lo, hi] = cb2.neighbours(x);
      expect(lo).toBeLessThanOrEqual(Math.max(x, -cb2.max));
      expect(hi).toBeGreaterThanOrEqual(Math.min(x, cb2.max));
    }
  });

  it('builds the largest codebook quickly and caches it', () => {
    const t = performance.now();
    const cb = codebook(4, 5);
    const ms = performance.now() - t;
    console.log(`codebook(4,5): ${cb.size} values in ${ms.toFixed(0)} ms`);
    expect(codebook(4, 5)).toBe(cb);
    expect(cb.max).toBe(4);
  });
});
