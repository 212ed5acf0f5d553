// Label-free weight recovery: stats accumulation, im2col sampling, exponent choice, error-aware rounding, lambda, allocation.
import { describe, expect, it } from 'vitest';
import { mulberry32, type Rng } from './helpers/prng.js';
import { StatsAccumulator, im2colPatches, type QuantStats } from '../src/passes/quant/layer-stats.js';
import { chooseBaseExponent, chooseLambdaByHalves, errorAwareRound, logNearestResult, logNearestRow, outputError, biasCorrection } from '../src/passes/quant/round.js';
import { allocateTerms, sweepK, type AllocLayer } from '../src/passes/quant/allocate.js';
import { codebook } from '../src/passes/quant/codebook.js';
import { convOp } from '../src/ir/ops/conv.js';
import { floatTensor } from '../src/ir/tensor.js';

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng());
}

/** Correlated inputs X = Z A (+ mean), Xq = X floored to a 1/8 grid (biased, like an upstream quantiser). */
function makeData(seed: number, P: number, D: number, rank: number, mean: number): { X: Float32Array; Xq: Float32Array } {
  const rng = mulberry32(seed);
  const A = Float64Array.from({ length: rank * D }, () => gauss(rng));
  const mu = Float64Array.from({ length: D }, () => mean * (1 + rng()));
  const X = new Float32Array(P * D);
  const Xq = new Float32Array(P * D);
  const z = new Float64Array(rank);
  for (let p = 0; p < P; p++) {
    for (let r = 0; r < rank; r++) z[r] = gauss(rng);
    for (let i = 0; i < D; i++) {
      let v = mu[i]!;
      for (let r = 0; r < rank; r++) v += z[r]! * A[r * D + i]!;
      v /= Math.sqrt(rank);
      X[p * D + i] = v;
      Xq[p * D + i] = Math.floor(v * 8) / 8;
    }
  }
  return { X, Xq };
}

function makeStats(d: { X: Float32Array; Xq: Float32Array }, D: number): QuantStats {
  const acc = new StatsAccumulator(D);
  acc.add(d.Xq, d.X);
  return acc.finalize();
}

function makeW(seed: number, M: number, D: number): Float64Array {
  const rng = mulberry32(seed);
  const W = new Float64Array(M * D);
  for (let m = 0; m < M; m++) {
    const s = 0.05 * (1 + 3 * rng());
    for (let i = 0; i < D; i++) W[m * D + i] = s * gauss(rng);
  }
  return W;
}

describe('quant layer stats', () => {
  it('matches brute-force Gram matrices (odd D, chunk tails, merge)', () => {
    const D = 7;
    const P = 150;
    const d = makeData(1, P, D, 3, 0.5);
    const a = new StatsAccumulator(D);
    a.add(d.Xq.subarray(0, 70 * D), d.X.subarray(0, 70 * D));
    const b = new StatsAccumulator(D);
    b.add(d.Xq.subarray(70 * D), d.X.subarray(70 * D));
    a.merge(b);
    const s = a.finalize();
    expect(s.P).toBe(P);
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let hq = 0;
        let cx = 0;
        let hx = 0;
        for (let p = 0; p < P; p++) {
          hq += d.Xq[p * D + i]! * d.Xq[p * D + j]!;
          cx += d.Xq[p * D + i]! * d.X[p * D + j]!;
          hx += d.X[p * D + i]! * d.X[p * D + j]!;
        }
        expect(s.Hq[i * D + j]).toBeCloseTo(hq / P, 10);
        expect(s.Cx![i * D + j]).toBeCloseTo(cx / P, 10);
        expect(s.Hx![i * D + j]).toBeCloseTo(hx / P, 10);
      }
    }
    // outputError is the empirical MSE of the two layers' outputs.
    const w = makeW(2, 1, D);
    const wq = logNearestRow(w, -3, codebook(1, 3));
    const delta = 0.01;
    let mse = 0;
    for (let p = 0; p < P; p++) {
      let y = 0;
      let yq = delta;
      for (let i = 0; i < D; i++) {
        y += w[i]! * d.X[p * D + i]!;
        yq += wq[i]! * d.Xq[p * D + i]!;
      }
      mse += (yq - y) ** 2 / P;
    }
    expect(outputError(wq, w, s, delta)).toBeCloseTo(mse, 10);
  });

  it('per-weights mode (Xq\'XW^T) gives the same exponents, rounding and errors as the full Cx', () => {
    const D = 40;
    const M = 6;
    const d = makeData(13, 700, D, 10, 0.7);
    const W = makeW(14, M, D);
    const full = makeStats(d, D);
    const acc = new StatsAccumulator(D, { weights: { W, M } });
    acc.add(d.Xq.subarray(0, 300 * D), d.X.subarray(0, 300 * D));
    const acc2 = new StatsAccumulator(D, { weights: { W, M } });
    acc2.add(d.Xq.subarray(300 * D), d.X.subarray(300 * D));
    acc.merge(acc2);
    const per = acc.finalize();
    expect(per.Cx).toBeNull();
    for (const refitBias of [false, true]) {
      for (let m = 0; m < M; m++) {
        const w = W.subarray(m * D, (m + 1) * D);
        const e1 = chooseBaseExponent(w, full, 2, 3, { refitBias });
        const e2 = chooseBaseExponent(w, per, 2, 3, { refitBias, row: m });
        expect(e2.E).toBe(e1.E);
        expect(e2.err).toBeCloseTo(e1.err, 9);
        const r1 = errorAwareRound(w, e1.E, full, 2, 3, { refitBias, lambda: 0.01 });
        const r2 = errorAwareRound(w, e1.E, per, 2, 3, { refitBias, lambda: 0.01, row: m });
        expect(Array.from(r2.codes)).toEqual(Array.from(r1.codes));
        expect(r2.err).toBeCloseTo(r1.err, 9);
        expect(r2.biasDelta).toBeCloseTo(r1.biasDelta, 12);
        expect(outputError(r2.wq, w, per, r2.biasDelta, m)).toBeCloseTo(outputError(r1.wq, w, full, r1.biasDelta), 9);
      }
    }
    expect(() => chooseBaseExponent(W.subarray(0, D), per, 1, 3)).toThrow(/row index/);
  });

  it('im2col rows reproduce the conv (groups, pads, strides, dilations) and subsample by seed', () => {
    const rng = mulberry32(3);
    const [N, C, H, W, M] = [2, 4, 7, 6, 6];
    const attrs = { group: 2, kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2] };
    const x = Float32Array.from({ length: N * C * H * W }, () => gauss(rng));
    const w = Float32Array.from({ length: M * 2 * 3 * 2 }, () => gauss(rng));
    const [y] = convOp.run(attrs, [floatTensor([N, C, H, W], x), floatTensor([M, 2, 3, 2], w)]);
    const [, , OH, OW] = y!.shape as number[];
    const D = 12;
    for (let g = 0; g < 2; g++) {
      const X = im2colPatches(x, [N, C, H, W], attrs, g, 1e9, 0);
      expect(X.length).toBe(N * OH! * OW! * D);
      for (let m = g * 3; m < g * 3 + 3; m++) {
        for (let pos = 0; pos < N * OH! * OW!; pos++) {
          let s = 0;
          for (let i = 0; i < D; i++) s += X[pos * D + i]! * w[m * D + i]!;
          const n = Math.floor(pos / (OH! * OW!));
          const yo = ((n * M + m) * OH! * OW!) + (pos % (OH! * OW!));
          expect(s).toBeCloseTo((y!.data as Float32Array)[yo]!, 4);
        }
      }
      const sub = im2colPatches(x, [N, C, H, W], attrs, g, 10, 42);
      expect(sub.length).toBe(10 * D);
      expect(im2colPatches(x, [N, C, H, W], attrs, g, 10, 42)).toEqual(sub);
      for (let r = 0; r < 10; r++) {
        const row = sub.subarray(r * D, (r + 1) * D).join();
        let found = false;
        for (let pos = 0; pos < N * OH! * OW! && !found; pos++) found = X.subarray(pos * D, (pos + 1) * D).join() === row;
        expect(found).toBe(true);
      }
    }
  });
});

describe('quant rounding', () => {
  const D = 96;
  const M = 24;
  const data = makeData(5, 2048, D, 12, 0);
  const stats = makeStats(data, D);
  const W = makeW(6, M, D);
  const row = (m: number): Float64Array => W.subarray(m * D, (m + 1) * D);

  it('error-aware rounding never loses to log-nearest and wins on average', () => {
    for (const [K, B] of [[1, 3], [2, 3], [3, 2]] as const) {
      let base = 0;
      let ear = 0;
      for (let m = 0; m < M; m++) {
        const w = row(m);
        const { E } = chooseBaseExponent(w, stats, K, B);
        const r0 = logNearestResult(w, E, stats, K, B);
        const r1 = errorAwareRound(w, E, stats, K, B, { passes: 3 });
        expect(r1.err).toBeCloseTo(outputError(r1.wq, w, stats), 8);
        expect(r1.err).toBeLessThanOrEqual(r0.err + 1e-12);
        const cb = codebook(K, B);
        for (let i = 0; i < D; i++) expect(cb.decode(r1.codes, i * K) * 2 ** E).toBe(r1.wq[i]);
        base += r0.err;
        ear += r1.err;
      }
      console.log(`K=${K} B=${B}: output MSE log-nearest ${base.toExponential(3)} -> error-aware ${ear.toExponential(3)} (${((1 - ear / base) * 100).toFixed(1)}% lower)`);
      expect(ear).toBeLessThan(0.9 * base);
    }
  });

  it('output-error exponent is never worse (in output error) than the weight-error exponent', () => {
    let a = 0;
    let b = 0;
    for (const B of [1, 2, 3]) {
      for (let m = 0; m < M; m++) {
        const w = row(m);
        const eo = chooseBaseExponent(w, stats, 1, B);
        const ew = chooseBaseExponent(w, stats, 1, B, { weightError: true });
        const errW = outputError(logNearestRow(w, ew.E, codebook(1, B)), w, stats);
        expect(eo.err).toBeLessThanOrEqual(errW + 1e-12);
        a += eo.err;
        b += errW;
      }
    }
    console.log(`exponent by output error ${a.toExponential(3)} vs by weight error ${b.toExponential(3)}`);
  });

  it('bias refit reduces the error when the inputs have a non-zero mean', () => {
    const d2 = makeData(7, 2048, D, 12, 1.5);
    const s2 = makeStats(d2, D);
    let plain = 0;
    let refit = 0;
    let corrOnly = 0;
    for (let m = 0; m < M; m++) {
      const w = row(m);
      const E = chooseBaseExponent(w, s2, 1, 3).E;
      const r0 = errorAwareRound(w, E, s2, 1, 3);
      plain += outputError(r0.wq, w, s2, 0);
      corrOnly += outputError(r0.wq, w, s2, biasCorrection(w, r0.wq, s2));
      const E1 = chooseBaseExponent(w, s2, 1, 3, { refitBias: true }).E;
      const r1 = errorAwareRound(w, E1, s2, 1, 3, { refitBias: true });
      expect(r1.err).toBeCloseTo(outputError(r1.wq, w, s2, r1.biasDelta), 8);
      refit += r1.err;
    }
    console.log(`mean inputs: no bias fix ${plain.toExponential(3)}, correction after rounding ${corrOnly.toExponential(3)}, refit ${refit.toExponential(3)}`);
    expect(corrOnly).toBeLessThanOrEqual(plain);
    expect(refit).toBeLessThan(plain);
  });

  it('picks a positive lambda by split halves when P < D', () => {
    const D2 = 128;
    const d = makeData(9, 96, D2, 96, 0.2);
    const half = (lo: number, hi: number): QuantStats => {
      const a = new StatsAccumulator(D2);
      a.add(d.Xq.subarray(lo * D2, hi * D2), d.X.subarray(lo * D2, hi * D2));
      return a.finalize();
    };
    const W2 = makeW(10, 16, D2);
    const { lambda, scores } = chooseLambdaByHalves(W2, 16, D2, [half(0, 48), half(48, 96)], 2, 3, { refitBias: true });
    console.log(`lambda by halves (P=48 per half, D=128): ${lambda}; scores ${Array.from(scores, (s) => s.toExponential(2)).join(' ')}`);
    expect(lambda).toBeGreaterThan(0);
  });

  it('allocates terms within the budget and beats uniform K', () => {
    const layers: AllocLayer[] = [];
    for (let l = 0; l < 3; l++) {
      const Dl = 32 + 32 * l;
      const dl = makeData(20 + l, 1024, Dl, 8 + 4 * l, 0.3);
      layers.push(sweepK(makeW(30 + l, 12, Dl), 12, Dl, makeStats(dl, Dl), 3, 3, { refitBias: true }).layer);
    }
    const uniform = (k: number): { err: number; terms: number } => {
      let err = 0;
      let terms = 0;
      for (const l of layers) {
        let e = 0;
        for (let m = 0; m < l.M; m++) {
          e += l.err[m * l.Kmax + k - 1]!;
          terms += l.terms[m * l.Kmax + k - 1]!;
        }
        err += e / l.energy;
      }
      return { err, terms };
    };
    const u1 = uniform(1);
    const u2 = uniform(2);
    const a = allocateTerms(layers, 1.5);
    expect(a.overBudget).toBe(false);
    expect(a.terms).toBeLessThanOrEqual(1.5 * a.weights);
    expect(a.normErr).toBeLessThan(u1.err);
    const b = allocateTerms(layers, u2.terms / a.weights);
    expect(b.terms).toBeLessThanOrEqual(u2.terms);
    console.log(`alloc: uniform K=1 ${u1.err.toExponential(3)} (${(u1.terms / a.weights).toFixed(2)} t/w), budget 1.5 -> ${a.normErr.toExponential(3)} (${(a.terms / a.weights).toFixed(2)} t/w); uniform K=2 ${u2.err.toExponential(3)} vs same budget ${b.normErr.toExponential(3)}`);
    expect(b.normErr).toBeLessThanOrEqual(u2.err);
    expect(allocateTerms(layers, 0.1).overBudget).toBe(true);
  });

  it('times a 64x576 layer with P = 4096', () => {
    const Dt = 576;
    const Mt = 64;
    const d = makeData(11, 4096, Dt, 64, 0.2);
    let t = performance.now();
    const acc = new StatsAccumulator(Dt);
    acc.add(d.Xq, d.X);
    const s = acc.finalize();
    const tStats = performance.now() - t;
    t = performance.now();
    const acc2 = new StatsAccumulator(Dt, { floatGram: false });
    acc2.add(d.Xq, d.X);
    acc2.finalize();
    const tStats2 = performance.now() - t;
    const Wt = makeW(12, Mt, Dt);
    t = performance.now();
    const acc3 = new StatsAccumulator(Dt, { weights: { W: Wt, M: Mt } });
    acc3.add(d.Xq, d.X);
    const s3 = acc3.finalize();
    const tStats3 = performance.now() - t;
    t = performance.now();
    let base = 0;
    let ear = 0;
    for (let m = 0; m < Mt; m++) {
      const w = Wt.subarray(m * Dt, (m + 1) * Dt);
      const { E } = chooseBaseExponent(w, s, 2, 3, { refitBias: true });
      const r = errorAwareRound(w, E, s, 2, 3, { passes: 3, refitBias: true });
      ear += r.err;
      base += logNearestResult(w, E, s, 2, 3, true).err;
    }
    const tRound = performance.now() - t;
    t = performance.now();
    let ear3 = 0;
    for (let m = 0; m < Mt; m++) {
      const w = Wt.subarray(m * Dt, (m + 1) * Dt);
      const { E } = chooseBaseExponent(w, s3, 2, 3, { refitBias: true, row: m });
      ear3 += errorAwareRound(w, E, s3, 2, 3, { passes: 3, refitBias: true, row: m }).err;
    }
    const tRound3 = performance.now() - t;
    expect(ear3).toBeCloseTo(ear, 6);
    console.log(`per-weights mode: stats ${tStats3.toFixed(0)} ms, exponent+rounding ${tRound3.toFixed(0)} ms`);
    console.log(`64x576, P=4096: stats ${tStats.toFixed(0)} ms (${tStats2.toFixed(0)} ms without Hx); exponent+rounding (K=2,B=3, refit, + baseline eval) ${tRound.toFixed(0)} ms; err ${base.toExponential(3)} -> ${ear.toExponential(3)}`);
    expect(ear).toBeLessThan(base);
  });
});
