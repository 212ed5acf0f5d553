// MobileNetV3-style block: Hardswish as x * HardSigmoid(x) (one table) and a squeeze-and-excitation gate (a shift).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import type { Tensor } from '../src/ir/tensor.js';
import { gateTerms } from '../src/passes/lower-gate.js';
import { randn } from './backend-c-models.js';
import { agreement, compileModel, expectCBitExact, samples } from './helpers/coverage.js';
import { float, modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

/** Conv -> hardswish (Mul form) -> depthwise -> ReLU -> SE (GAP, 1x1, ReLU, 1x1, gate) x features -> 1x1 -> GAP -> Gemm. */
function seNet(seed: number, gate: 'HardSigmoid' | 'Sigmoid'): ModelSpec {
  const rng = mulberry32(seed);
  const gateAttrs = gate === 'HardSigmoid' ? { alpha: float(1 / 6), beta: float(0.5) } : undefined;
  return {
    inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [8, 3, 3, 3], data: randn(rng, 216, 0.5) }, { name: 'wd', dims: [8, 1, 3, 3], data: randn(rng, 72, 0.5) },
      { name: 'ws1', dims: [4, 8, 1, 1], data: randn(rng, 32, 0.5) }, { name: 'bs1', dims: [4], data: randn(rng, 4, 0.1) },
      { name: 'ws2', dims: [8, 4, 1, 1], data: randn(rng, 32, 0.8) }, { name: 'bs2', dims: [8], data: randn(rng, 8, 0.5) },
      { name: 'w3', dims: [6, 8, 1, 1], data: randn(rng, 48, 0.4) }, { name: 'wf', dims: [5, 6], data: randn(rng, 30, 0.5) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'HardSigmoid', inputs: ['c1'], outputs: ['hs1'], attrs: { alpha: float(1 / 6), beta: float(0.5) }, name: 'hsig1' },
      { op: 'Mul', inputs: ['c1', 'hs1'], outputs: ['h1'], name: 'hswish1' },
      { op: 'Conv', inputs: ['h1', 'wd'], outputs: ['d1'], attrs: { pads: [1, 1, 1, 1], group: 8 }, name: 'dw' },
      { op: 'Relu', inputs: ['d1'], outputs: ['r1'], name: 'relu1' },
      { op: 'GlobalAveragePool', inputs: ['r1'], outputs: ['sq'], name: 'se_pool' },
      { op: 'Conv', inputs: ['sq', 'ws1', 'bs1'], outputs: ['e1'], name: 'se_fc1' },
      { op: 'Relu', inputs: ['e1'], outputs: ['e2'], name: 'se_relu' },
      { op: 'Conv', inputs: ['e2', 'ws2', 'bs2'], outputs: ['e3'], name: 'se_fc2' },
      { op: gate, inputs: ['e3'], outputs: ['gate'], ...(gateAttrs ? { attrs: gateAttrs } : {}), name: 'se_gate' },
      { op: 'Mul', inputs: ['r1', 'gate'], outputs: ['m1'], name: 'se_scale' },
      { op: 'Conv', inputs: ['m1', 'w3'], outputs: ['c3'], name: 'conv3' },
      { op: 'GlobalAveragePool', inputs: ['c3'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** SQNR in dB of float graph `b`'s outputs against float graph `a`'s on `xs`. */
function sqnr(a: Graph, b: Graph, xs: readonly Tensor[]): number {
  let sig = 0;
  let noise = 0;
  for (const x of xs) {
    const f = runGraph(a, [x])[0]!;
    const q = runGraph(b, [x])[0]!;
    f.data.forEach((v, i) => { sig += v ** 2; noise += (v - q.data[i]!) ** 2; });
  }
  return 10 * Math.log10(sig / noise);
}

describe('gated Mul (squeeze-and-excitation) and Hardswish as Mul', () => {
  for (const gate of ['HardSigmoid', 'Sigmoid'] as const) {
    it(`${gate} gate: hardswish is one Lut, the gate two power-of-two shifts and an add; float agreement; C bit-exact; multiply-free`, () => {
      const g = modelGraph(seNet(5, gate));
      const res = compileModel(g, samples(g, 32, 6).stacked);
      const kinds = res.graph.nodes.map((n) => n.op.kind);
      // One shift per power-of-two term of the gate, summed by a QAdd.
      expect(kinds.filter((k) => k === 'QGateMul')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'QAdd')).toHaveLength(1);
      // hswish1's table, the gate's activation table and one code table per term.
      expect(kinds.filter((k) => k === 'Lut')).toHaveLength(4);
      const test = samples(g, 64, 7).each;
      const a = agreement(g, res, test);
      // The gate matters: the same network without it is much further from the float model than the shift-add one.
      const ungated = modelGraph({ ...seNet(5, gate), nodes: seNet(5, gate).nodes.map((n) => (n.name === 'se_scale' ? { op: 'Identity', inputs: ['r1'], outputs: ['m1'], name: 'no_gate' } : n)) });
      expect(sqnr(g, ungated, test)).toBeLessThan(a.sqnrDb - 10);
      // 32.6 dB (HardSigmoid) and 37.4 dB (Sigmoid) with two-term gates; one power of two gave 29-32 dB.
      expect(a.sqnrDb).toBeGreaterThan(30);
      expect(a.top1).toBeGreaterThanOrEqual(0.95);
      expect(res.report.totals.multiplies).toBe(0);
      const c = expectCBitExact(res, `se_${gate.toLowerCase()}`, test.slice(0, 8));
      expect(c.equal).toBe(true);
      expect(c.stars).toEqual([]);
    });
  }

  it('a Mul of two activations without a gate is refused, naming the rule', () => {
    const spec = seNet(5, 'Sigmoid');
    const nodes = spec.nodes.map((n) => (n.name === 'se_gate' ? { ...n, op: 'Relu' } : n));
    const g = modelGraph({ ...spec, nodes });
    expect(() => compileModel(g, samples(g, 4, 1).stacked)).toThrow(/one is a gate in \[0, 1\]/);
  });

  it('gate codes: the nearest sum of at most two powers of two, within 1/7 of the gate; tiny gates are zero', () => {
    const value = (codes: number[]) => codes.reduce((s, c) => s + (c === 0 ? 0 : 2 ** -(c - 1)), 0);
    expect(gateTerms(1, 12, 2)).toEqual([1, 0]);
    expect(gateTerms(0.5, 12, 2)).toEqual([2, 0]);
    expect(gateTerms(0.75, 12, 2)).toEqual([2, 3]);
    expect(gateTerms(0.7, 12, 2)).toEqual([2, 3]);
    expect(gateTerms(0.44, 12, 2)).toEqual([2, 0]);
    expect(gateTerms(0, 12, 2)).toEqual([0, 0]);
    expect(gateTerms(2 ** -12.6, 12, 2)).toEqual([0, 0]);
    expect(gateTerms(2 ** -12.4, 12, 2)).toEqual([13, 0]);
    // The shift never exceeds maxShift, and the pair beats the single power of two it starts from.
    let worst = 0;
    for (let k = 1; k <= 128; k++) {
      const v = k / 128;
      const c = gateTerms(v, 12, 2);
      expect(Math.max(...c)).toBeLessThanOrEqual(13);
      expect(c[0]).toBeGreaterThanOrEqual(1);
      worst = Math.max(worst, Math.abs(value(c) - v) / v);
    }
    expect(worst).toBeLessThanOrEqual(1 / 7 + 1e-9);
    expect(gateTerms(0.3, 3, 2).every((c) => c <= 4)).toBe(true);
  });
});
