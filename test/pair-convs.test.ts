// Pair mode (--mode shiftadd): Hadamard initialisation, distillation, which convs pair, determinism, integer lowering.
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { runGraph } from '../src/ir/interp-float.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { printGraph } from '../src/ir/printer.js';
import { distillPair, initPair, type PairTask } from '../src/passes/distill-pair.js';
import { hadamard, nextPow2, projectRows } from '../src/passes/pair-math.js';
import { pairableConvs } from '../src/passes/pair-convs.js';
import { calib, randn, tinyCnn } from './backend-c-models.js';
import { modelGraph } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

/** A conv layer as a matrix task: W (M x D), bias, patches Z (P x D, ReLU-like inputs) and T = W z + b. */
function task(M: number, D: number, P: number, seed: number): PairTask {
  const rng = mulberry32(seed);
  const W = Float64Array.from(randn(rng, M * D, 0.4));
  const b = Float64Array.from(randn(rng, M, 0.1));
  // Correlated inputs, as neighbouring pixels and channels of real patches are: 3 latent factors plus a little noise.
  const mix = randn(rng, 3 * D, 1);
  const Z = new Float64Array(P * D);
  for (let p = 0; p < P; p++) {
    const g = randn(rng, 3, 1);
    for (let i = 0; i < D; i++) Z[p * D + i] = Math.max(0, g[0]! * mix[i]! + g[1]! * mix[D + i]! + g[2]! * mix[2 * D + i]! + 0.1 * randn(rng, 1, 1)[0]!);
  }
  const T = new Float64Array(P * M);
  for (let p = 0; p < P; p++) for (let m = 0; m < M; m++) {
    let s = b[m]!;
    for (let i = 0; i < D; i++) s += W[m * D + i]! * Z[p * D + i]!;
    T[p * M + m] = s;
  }
  return { M, D, nPrime: nextPow2(M), W, b, Z, T };
}

/** The pair's float output on patch p with shift weights `s` (not projected). */
function pairOut(t: PairTask, s: Float64Array, w: Float64Array, scale: Float64Array, bias: Float64Array, p: number): number[] {
  const n = t.nPrime;
  const u = Array.from({ length: n }, (_, c) => { let v = 0; for (let i = 0; i < t.D; i++) v += s[c * t.D + i]! * t.Z[p * t.D + i]!; return v; });
  return Array.from({ length: t.M }, (_, m) => scale[m]! * -u.reduce((a, uc, c) => a + Math.abs(uc - w[m * n + c]!), 0) + bias[m]!);
}

describe('pair mode building blocks', () => {
  it('Sylvester Hadamard rows are orthogonal: H H^T = n I', () => {
    for (const n of [1, 2, 8, 32]) {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += hadamard(i, k) * hadamard(j, k);
        expect(s).toBe(i === j ? n : 0);
      }
    }
  });

  it('the initial pair (adder in its linear regime, Hadamard basis) is the convolution exactly before rounding', () => {
    const t = task(6, 10, 64, 3);
    const p = initPair(t);
    expect(p.nPrime).toBe(8);
    for (let r = 0; r < 64; r++) {
      const y = pairOut(t, p.s, p.w, p.scale, p.bias, r);
      y.forEach((v, m) => expect(v).toBeCloseTo(t.T[r * t.M + m]!, 9));
    }
  });

  it('rows project onto a float32 factor times signed powers of two', () => {
    const s = Float64Array.from([0.3, -0.7, 0.05, 1.9, 0, -0.01]);
    const out = new Float64Array(6);
    const f = projectRows(s, 2, 3, out);
    for (let r = 0; r < 2; r++) {
      expect(Math.fround(f[r]!)).toBe(f[r]);
      for (let i = 0; i < 3; i++) {
        const v = out[r * 3 + i]!;
        if (v !== 0) expect(Number.isInteger(Math.log2(Math.abs(v) / f[r]!))).toBe(true);
        expect(Math.abs(v - s[r * 3 + i]!)).toBeLessThanOrEqual(Math.abs(s[r * 3 + i]!) / 3 + 1e-12);
      }
    }
  });

  it('distillation lowers the layer error well below the rounded initialisation, the same bytes on every run', () => {
    const t = task(8, 18, 512, 5);
    const a = distillPair(t);
    // Without minibatch steps: the ridge refit and error-feedback rounding alone.
    const closed = distillPair(t, { steps: 0, batch: 256, seed: 1, lr: 0.02 });
    expect(a.before).toBe(closed.before);
    expect(closed.after).toBeLessThan(0.8 * closed.before);
    expect(a.after).toBeLessThanOrEqual(closed.after);
    const b = distillPair(t);
    expect(b.after).toBe(a.after);
    expect(Array.from(b.params.s)).toEqual(Array.from(a.params.s));
    expect(Array.from(b.params.w)).toEqual(Array.from(a.params.w));
  });
});

describe('pair-convs on a model', () => {
  const g = modelGraph(tinyCnn(1));
  const calibration = [calib(g.values[g.inputs[0]!]!.type.shape, 7)];

  it('keeps the stem, the classifier and grouped convolutions unless --pair-all', () => {
    const names = (all: boolean) => pairableConvs(g, all).pair.map((n) => n.name);
    expect(names(false)).toEqual(['conv2']);
    expect(names(true)).toEqual(['conv1', 'conv2']);
    expect(pairableConvs(g, true).skipped.map((s) => [s.node.name, s.why])).toEqual([['dw', 'grouped convolution']]);
  });

  it('lowers each pair to ShiftConv -> AdderConv; same graph twice; integer close to its float graph', () => {
    const run = () => compile(g, { calibration, mode: 'shiftadd', pairAll: true });
    const r = run();
    const kinds = r.graph.nodes.map((n) => n.op.kind);
    expect(kinds.filter((k) => k === 'AdderConv').length).toBe(2);
    const adderIn = r.graph.nodes.filter((n) => n.op.kind === 'AdderConv').map((n) => r.graph.nodes.find((m) => m.outputs.includes(n.inputs[0]!))!.op.kind);
    expect(adderIn).toEqual(['ShiftConv', 'ShiftConv']);
    expect(r.report.adderLayers?.length).toBe(2);
    expect(r.report.notes.some((s) => s.includes("convolution 'conv2' is a shift conv"))).toBe(true);
    expect(printGraph(run().graph)).toBe(printGraph(r.graph));
    // The integer network follows the paired float network (SQNR of the logits).
    const x = calib(g.values[g.inputs[0]!]!.type.shape, 9, 8);
    const f = runGraph(r.floatGraph, [x])[0]!;
    const xq = quantizeInput(x, r.graph.values[r.graph.inputs[0]!]!.quant!.frac, 8);
    const q = runInteger(r.graph, [xq])[0]!;
    const frac = r.graph.values[r.graph.outputs[0]!]!.quant!.frac;
    let sig = 0, noise = 0;
    f.data.forEach((v, i) => { sig += v * v; noise += (q.data[i]! * 2 ** -frac - v) ** 2; });
    expect(10 * Math.log10(sig / noise)).toBeGreaterThan(20);
  });

  it('refuses --pair-all without --mode shiftadd and an unknown mode (SAC040)', () => {
    expect(() => compile(g, { calibration, pairAll: true })).toThrow(/SAC040.*--pair-all needs --mode shiftadd|--pair-all needs --mode shiftadd/);
    expect(() => compile(g, { calibration, mode: 'adder' as 'shift' })).toThrow(/--mode must be shift or shiftadd/);
  });
});
