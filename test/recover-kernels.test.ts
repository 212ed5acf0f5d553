// The compiled recovery kernels (src/accel/recover.c) against the TypeScript reference loops: every result the same bits.
import { afterEach, describe, expect, it } from 'vitest';
import type { Tensor } from '../src/ir/tensor.js';
import { setWasmKernels } from '../src/accel/runtime.js';
import { mulHAll, releasePatches } from '../src/accel/recover.js';
import { allRows, mulHRows, support } from '../src/passes/h-products.js';
import { convPatches, finishGram, gram, gramSums, targets, type Patches } from '../src/passes/layer-stats.js';
import { heldOutError } from '../src/passes/recover.js';
import { candidateRows, greedyStarts, recoverRow } from '../src/passes/round-row.js';
import { greedyLogRow, maxExponent } from '../src/passes/shift-layer.js';
import { mulberry32 } from './helpers/prng.js';

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float64Array.from(a).buffer));
const num = (x: number) => bits([x]);

/** fn on the compiled kernels and on the reference loops. */
function both<T>(fn: () => T): [T, T] {
  setWasmKernels(true);
  const a = fn();
  setWasmKernels(false);
  const b = fn();
  setWasmKernels(true);
  return [a, b];
}

afterEach(() => setWasmKernels(true));

/** Patches with zero columns and zero rows (what padding and Relu give); full-precision values, so sums in another order differ. */
function patches(r: () => number, P: number, D: number): Patches {
  const xq = new Float64Array(P * D);
  const xf = new Float64Array(P * D);
  const dead = Array.from({ length: D }, () => r() < 0.15);
  for (let p = 0; p < P; p++) {
    const zero = r() < 0.1;
    for (let i = 0; i < D; i++) {
      if (zero || dead[i] || r() < 0.3) continue;
      xf[p * D + i] = r() * 4 - 1;
      xq[p * D + i] = Math.round(xf[p * D + i]! * 8) / 8 + r() * 0.01;
    }
  }
  return { P, D, xq, xf };
}

function rowsOf(r: () => number, M: number, D: number): Float64Array[] {
  return Array.from({ length: M }, () => Float64Array.from({ length: D }, () => (r() < 0.2 ? 0 : (r() - 0.5) * 0.6)));
}

const SIZES: [number, number][] = [[1, 9], [2, 13], [3, 7], [5, 22], [9, 40], [16, 33], [25, 64], [37, 101]];

describe('recovery kernels', () => {
  it('conv patches (groups, pads, strides, dilations, 1-D, int8/int16)', () => {
    const r = mulberry32(11);
    const cases = [
      { C: 3, H: 9, W: 7, groups: 1, g: 0, a: { group: 1, kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] }, S: 5, int: 'int8' },
      { C: 4, H: 11, W: 10, groups: 2, g: 1, a: { group: 2, kernel: [3, 2], strides: [2, 1], pads: [0, 1, 0, 1], dilations: [1, 2] }, S: 300, int: 'int16' },
      { C: 2, H: 1, W: 20, groups: 1, g: 0, a: { group: 1, kernel: [5], strides: [2], pads: [2, 2], dilations: [1] }, S: 7, int: 'int8' },
    ] as const;
    for (const c of cases) {
      const shape = c.a.kernel.length === 2 ? [1, c.C, c.H, c.W] : [1, c.C, c.W];
      const n = c.C * c.H * c.W;
      const fl: Tensor[] = Array.from({ length: c.S }, () => ({ dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => r() - 0.5) }));
      const q: Tensor[] = fl.map((t) => ({ dtype: c.int, shape, data: c.int === 'int8' ? Int8Array.from(t.data as Float32Array, (v) => Math.round(v * 100)) : Int16Array.from(t.data as Float32Array, (v) => Math.round(v * 1000)) }));
      const k = c.a.kernel.length;
      const out = c.a.kernel.map((kk, d) => Math.floor((shape[2 + d]! + c.a.pads[d]! + c.a.pads[d + k]! - c.a.dilations[d]! * (kk - 1) - 1) / c.a.strides[d]!) + 1);
      const outHW: [number, number] = k === 2 ? [out[0]!, out[1]!] : [1, out[0]!];
      const [a, b] = both(() => convPatches(fl, q, 2 ** -7, c.a, c.groups, c.g, outHW));
      // Other patches take the kernels' memory: the first keep their values (copied out), released ones are gone.
      const other = convPatches(fl, q, 2 ** -6, c.a, c.groups, c.g, outHW);
      releasePatches(other);
      convPatches(fl, q, 2 ** -5, c.a, c.groups, c.g, outHW);
      expect(() => other.xq).toThrow(/after release/);
      expect(a.P).toBe(b.P);
      expect(bits(a.xq)).toEqual(bits(b.xq));
      expect(bits(a.xf)).toEqual(bits(b.xf));
    }
  });

  it('Gram sums, halves continued, centred and raw', () => {
    const r = mulberry32(12);
    for (const [D, P] of SIZES) {
      const p = patches(r, P, D);
      for (const centred of [true, false]) {
        const [a, b] = both(() => gram(p, centred));
        expect(bits(a.H)).toEqual(bits(b.H));
        expect(bits(a.meanQ)).toEqual(bits(b.meanQ));
        expect(bits(a.meanF)).toEqual(bits(b.meanF));
      }
      const half = Math.floor(P / 2) + 1;
      const [c, d] = both(() => finishGram(gramSums(p, half, P, gramSums(p, 0, half)), true));
      expect(bits(c.H)).toEqual(bits(d.H));
    }
  });

  it('targets', () => {
    const r = mulberry32(13);
    for (const [D, P] of SIZES) {
      const p = patches(r, P, D);
      const st = gram(p, true);
      for (const M of [1, 3, 4, 6]) {
        const rows = rowsOf(r, M, D);
        for (const [from, to, centred] of [[0, P, true], [1, P - 2, false]] as const) {
          const [a, b] = both(() => targets(p, rows, st, centred, from, Math.max(from + 1, to)));
          expect(a.map(bits)).toEqual(b.map(bits));
        }
      }
    }
  });

  it('H products: candidates and sparse products', () => {
    const r = mulberry32(14);
    for (const [D, P] of SIZES) {
      const p = patches(r, P, D);
      const st = gram(p, true);
      const rows = rowsOf(r, 3, D);
      const ts = targets(p, rows, st, true);
      const [a, b] = both(() => candidateRows(rows, st, ts, 2, 3));
      a.forEach((c, m) => {
        expect(c.hw!.map(bits)).toEqual(b[m]!.hw!.map(bits));
        expect(c.grad!.map(bits)).toEqual(b[m]!.grad!.map(bits));
      });
      const v = rows[0]!;
      const nz = support(v);
      const out = new Float64Array(D);
      expect(mulHAll(st.H, D, v, nz, out, ts[0])).toBe(true);
      const want = new Float64Array(D);
      mulHRows(st.H, v, nz, allRows(D), want, ts[0]);
      expect(bits(out)).toEqual(bits(want));
      expect(mulHAll(st.H, D, v, nz, out)).toBe(true);
      mulHRows(st.H, v, nz, allRows(D), want);
      expect(bits(out)).toEqual(bits(want));
    }
  });

  it('rounding: exponent search, descent, term price, gain grid and fit', () => {
    const r = mulberry32(15);
    for (const [D, P] of SIZES) {
      const p = patches(r, P, D);
      const st = gram(p, true);
      const rows = rowsOf(r, 4, D);
      const ts = targets(p, rows, st, true);
      for (const [K, B, lambda, mu, gain] of [[1, 3, 0, 0, true], [2, 3, 0.1, 0, false], [2, 4, 0, 1e-3, true], [3, 3, 0.03, 1e-4, false]] as const) {
        rows.forEach((w, m) => {
          const [a, b] = both(() => recoverRow(w, st, ts[m]!, K, B, lambda, mu, undefined, gain));
          expect(a.E).toBe(b.E);
          expect(Array.from(a.codes)).toEqual(Array.from(b.codes));
          expect(bits(a.wq)).toEqual(bits(b.wq));
          expect(num(a.biasDelta)).toEqual(num(b.biasDelta));
          expect(a.gain?.value).toBe(b.gain?.value);
          // One start (the exponent fixed) and no starting gradient: descent builds H wq - t itself.
          const one = { starts: [greedyStarts(w, K, B)[2]!] };
          const [c, d] = both(() => recoverRow(w, st, ts[m]!, K, B, lambda, mu, one));
          expect(bits(c.wq)).toEqual(bits(d.wq));
        });
      }
    }
  });

  it('descent moves only on gains beyond its 1e-15 tolerance', () => {
    // Inputs of 1e-8 make every step's change of the objective ~1e-17: the tolerance alone keeps the start.
    const r = mulberry32(17);
    for (const [D, P] of SIZES) {
      const p = patches(r, P, D);
      const tiny = { P, D, xq: p.xq.map((v) => v * 1e-8), xf: p.xf.map((v) => v * 1e-8) };
      const st = gram(tiny, true);
      const rows = rowsOf(r, 2, D);
      const ts = targets(tiny, rows, st, true);
      rows.forEach((w, m) => {
        const [a, b] = both(() => recoverRow(w, st, ts[m]!, 2, 3, 0, 0));
        expect(bits(a.wq)).toEqual(bits(b.wq));
      });
    }
  });

  it('greedy log rounding (near sqrt 2, tiny and huge weights, zeros)', () => {
    const r = mulberry32(18);
    for (const D of [1, 3, 8, 31]) {
      for (let rep = 0; rep < 40; rep++) {
        const w = Float64Array.from({ length: D }, () => {
          const u = r();
          if (u < 0.15) return 0;
          if (u < 0.3) return (r() < 0.5 ? -1 : 1) * Math.SQRT2 * 2 ** Math.floor(r() * 8 - 4) * (1 + (r() - 0.5) * 2e-7);
          return (r() - 0.5) * 2 ** Math.floor(r() * 60 - 40);
        });
        if (rep === 39) w[0] = 5e-324;
        for (const [K, B] of [[1, 3], [2, 3], [3, 4], [2, 5]] as const) {
          const E0 = maxExponent(w);
          for (const E of [E0 - 2, E0, E0 + 1, -1020]) {
            const [a, b] = both(() => greedyLogRow(w, E, K, B));
            expect(Array.from(a.codes)).toEqual(Array.from(b.codes));
            expect(bits(a.wq)).toEqual(bits(b.wq));
          }
        }
      }
    }
  });

  it('held-out error', () => {
    const r = mulberry32(16);
    for (const [D, P] of SIZES) {
      const p = patches(r, P, D);
      const st = gram(p, true);
      for (const M of [1, 4, 7]) {
        const rows = rowsOf(r, M, D);
        const ts = targets(p, rows, st, true);
        const fit = rows.map((w, m) => recoverRow(w, st, ts[m]!, 2, 3, 0, 0, undefined, m % 2 === 0));
        const [a, b] = both(() => heldOutError(p, rows, fit, 1, P));
        expect(num(a)).toEqual(num(b));
      }
    }
  });
});
