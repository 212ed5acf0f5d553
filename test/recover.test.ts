// Recovery algorithms on random correlated layers: error-aware rounding, exponent search, bias refit, term pricing.
import { describe, expect, it } from 'vitest';
import { codebook } from '../src/passes/codebook.js';
import { gram, targets, type Patches } from '../src/passes/layer-stats.js';
import { recoverRow } from '../src/passes/recover.js';
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

/** Mean squared output error of a quantised row (with its bias delta) against the float row. */
function outErr(p: Patches, w: Float64Array, wq: Float64Array, bias: number): number {
  let e = 0;
  for (let s = 0; s < p.P; s++) {
    let d = bias;
    for (let i = 0; i < p.D; i++) d += wq[i]! * p.xq[s * p.D + i]! - w[i]! * p.xf[s * p.D + i]!;
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
});
