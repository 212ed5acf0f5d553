// Recovery algorithms on random correlated layers: error-aware rounding, exponent search, bias refit, term pricing.
import { describe, expect, it } from 'vitest';
import { codebook } from '../src/passes/codebook.js';
import { gram, targets, type Patches } from '../src/passes/layer-stats.js';
import { recoverRow } from '../src/passes/round-row.js';
import { allocateTerms } from '../src/passes/allocate-terms.js';
import { greedyLogRow, maxExponent } from '../src/passes/shift-layer.js';
import { mulberry32 } from './helpers/prng.js';

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** Correlated inputs X = Z A + mean; the "quantised" network sees X on a 1/16 grid. */
function layer(seed: number, D: number, P: number, mean = 0): { p: Patches; rows: Float64Array[] } {
  const r = mulberry32(seed);
  const A = Float64Array.from({ length: D * D }, () => gauss(r) / Math.sqrt(D));
  const xf = new Float64Array(P * D);
  const xq = new Float64Array(P * D);
  for (let s = 0; s < P; s++) {
    const z = Float64Array.from({ length: D }, () => gauss(r));
    for (let j = 0; j < D; j++) {
      let v = mean;
      for (let i = 0; i < D; i++) v += z[i]! * A[i * D + j]!;
      xf[s * D + j] = v;
      xq[s * D + j] = Math.round(v * 16) / 16;
    }
  }
  const rows = Array.from({ length: 8 }, () => Float64Array.from({ length: D }, () => 0.3 * gauss(r)));
  return { p: { P, D, xf, xq }, rows };
}

/** Mean squared output error of a quantised row (with its bias delta and gain) against the float row. */
function outErr(p: Patches, w: Float64Array, wq: Float64Array, bias: number, gain = 1): number {
  let e = 0;
  for (let s = 0; s < p.P; s++) {
    let d = bias;
    for (let i = 0; i < p.D; i++) d += gain * wq[i]! * p.xq[s * p.D + i]! - w[i]! * p.xf[s * p.D + i]!;
    e += d * d;
  }
  return e / p.P;
}

describe('label-free recovery', () => {
  it('codebook encodings decode to their values and K=1 holds only powers of two', () => {
    for (const [K, B] of [[1, 4], [2, 3], [3, 2]] as const) {
      const book = codebook(K, B);
      const span = 2 ** B - 1;
      book.values.forEach((v, i) => {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const c = book.codes[i * K + k]!;
          if (c) sum += Math.sign(c) * 2 ** (Math.abs(c) - 1 - span);
        }
        expect(sum).toBe(v);
      });
      if (K === 1) expect([...book.values].every((v) => v === 0 || Number.isInteger(Math.log2(v)))).toBe(true);
    }
  });

  it('error-aware rounding beats log-nearest rounding on output error, every row', () => {
    const { p, rows } = layer(1, 24, 512, 0.5);
    const st = gram(p, true);
    const ts = targets(p, rows, st, true);
    let plain = 0;
    let recovered = 0;
    rows.forEach((w, m) => {
      const base = greedyLogRow(w, maxExponent(w), 1, 4);
      const row = recoverRow(w, st, ts[m]!, 1, 4, 0);
      const a = outErr(p, w, base.wq, 0);
      const b = outErr(p, w, row.wq, row.biasDelta);
      expect(b).toBeLessThan(a);
      plain += a;
      recovered += b;
    });
    expect(recovered).toBeLessThan(0.5 * plain);
  });

  it('the bias refit absorbs the mean error when inputs have a non-zero mean', () => {
    const { p, rows } = layer(2, 16, 512, 1.5);
    const st = gram(p, true);
    const ts = targets(p, rows, st, true);
    const row = recoverRow(rows[0]!, st, ts[0]!, 1, 4, 0);
    expect(outErr(p, rows[0]!, row.wq, row.biasDelta)).toBeLessThan(outErr(p, rows[0]!, row.wq, 0));
  });

  it('a term price trades terms for error monotonically', () => {
    const { p, rows } = layer(3, 16, 256);
    const st = gram(p, true);
    const ts = targets(p, rows, st, true);
    const terms = (mu: number) => {
      const row = recoverRow(rows[1]!, st, ts[1]!, 2, 4, 0, mu);
      return { n: row.codes.reduce((s, c) => s + (c ? 1 : 0), 0), err: outErr(p, rows[1]!, row.wq, row.biasDelta) };
    };
    const free = terms(0);
    const priced = terms(0.05);
    expect(priced.n).toBeLessThan(free.n);
    expect(priced.err).toBeGreaterThanOrEqual(free.err - 1e-12);
  });
  it('a channel gain never raises a K=1 row\'s output error and lowers it on most rows', () => {
    const { p, rows } = layer(4, 9, 512);
    const st = gram(p, true);
    const ts = targets(p, rows, st, true);
    let better = 0;
    rows.forEach((w, m) => {
      const plain = recoverRow(w, st, ts[m]!, 1, 4, 0, 0, undefined, false);
      const gained = recoverRow(w, st, ts[m]!, 1, 4, 0, 0, undefined, true);
      const e0 = outErr(p, w, plain.wq, plain.biasDelta);
      const e1 = outErr(p, w, gained.wq, gained.biasDelta, gained.gain?.value ?? 1);
      expect(e1, `row ${m}`).toBeLessThanOrEqual(e0 * (1 + 1e-9));
      if (e1 < 0.95 * e0) better++;
      if (gained.gain) expect(gained.gain.value).toBeGreaterThanOrEqual(0.5);
    });
    expect(better).toBeGreaterThanOrEqual(rows.length / 2);
  });

  it('K=1 gains have 4 shift-add digits, K=2 gains 3', () => {
    const { p, rows } = layer(5, 9, 512);
    const st = gram(p, true);
    const ts = targets(p, rows, st, true);
    for (const [K, G] of [[1, 4], [2, 3]] as const) {
      for (const [m, w] of rows.entries()) {
        const r = recoverRow(w, st, ts[m]!, K, 4, 0, 0, undefined, true);
        if (r.gain) expect(r.gain.codes.length, `K=${K} row ${m}`).toBe(G);
      }
    }
  });
});

describe('allocate-terms', () => {
  // Layer a: error falls steeply with terms; layer b: barely. Both have 100 weights; budget 1.5 terms/weight.
  const a = { node: 'a', weights: 100, points: [{ terms: 200, err: 0.01 }, { terms: 150, err: 0.1 }, { terms: 100, err: 0.5 }] };
  const b = { node: 'b', weights: 100, points: [{ terms: 200, err: 0.049 }, { terms: 150, err: 0.05 }, { terms: 100, err: 0.051 }] };
  it('gives terms to the layer whose relative error falls fastest, within the total budget', () => {
    const got = allocateTerms([a, b], 1.5);
    expect(got.get('a')).toBe(200);
    expect(got.get('b')).toBe(100);
    expect(got.get('a')! + got.get('b')!).toBeLessThanOrEqual(300);
  });
  it('never exceeds the budget, and falls back to the per-layer average when even the cheapest points do not fit', () => {
    for (const A of [1, 1.2, 1.5, 1.8, 2]) {
      const got = allocateTerms([a, b], A);
      expect(got.get('a')! + got.get('b')!).toBeLessThanOrEqual(A * 200);
    }
    expect(allocateTerms([a, b], 0.5)).toEqual(new Map([['a', 50], ['b', 50]]));
  });
});
