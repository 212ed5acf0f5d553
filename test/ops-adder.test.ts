// The adder layer: AdderConv's integer kernel and Adder's float kernel against naive loops, the overflow bound, the
// exact weight clamp, ai.shiftaddc import (ShiftConv lowered exactly, AdderConv with BatchNorm folded), wasm and counts.
import { describe, expect, it } from 'vitest';
import { runWasm } from '../src/backends/wasm/run.js';
import { loweredEnergy } from '../src/codegen/energy.js';
import { compile } from '../src/compile.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import { runOp, GraphBuilder } from '../src/ir/graph.js';
import { requant } from '../src/ir/fixed-point.js';
import { runInteger, quantizeInput } from '../src/ir/interp-int.js';
import { runGraph } from '../src/ir/interp-float.js';
import { checkAccumulators } from '../src/ir/overflow.js';
import { applyGain, termWeights } from '../src/ir/ops/shift-common.js';
import { floatTensor, tensor, type Tensor } from '../src/ir/tensor.js';
import { calib, pow2Weights, randn, shiftAddCnn } from './backend-c-models.js';
import { modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

function diagnostic(f: () => unknown): ShiftaddcError {
  try { f(); } catch (e) { if (e instanceof ShiftaddcError) return e; throw e; }
  throw new Error('expected a ShiftaddcError');
}

const geo = { group: 2, kernel: [3, 2], strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2] };

/** sum over taps of |x - w| with padded taps reading 0, written out index by index (no shared helper). */
function naiveSums(x: Tensor, w: Tensor, a: typeof geo): { sums: number[]; shape: number[] } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [M, Cg, KH, KW] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + a.pads[0]! + a.pads[2]! - ((KH - 1) * a.dilations[0]! + 1)) / a.strides[0]!) + 1;
  const OW = Math.floor((W + a.pads[1]! + a.pads[3]! - ((KW - 1) * a.dilations[1]! + 1)) / a.strides[1]!) + 1;
  const sums: number[] = [];
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let s = 0;
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * a.strides[0]! - a.pads[0]! + kh * a.dilations[0]!;
      const iw = ow * a.strides[1]! - a.pads[1]! + kw * a.dilations[1]!;
      const ci = Math.floor(m / (M / a.group)) * Cg + c;
      const xv = ih >= 0 && ih < H && iw >= 0 && iw < W ? x.data[((n * C + ci) * H + ih) * W + iw]! : 0;
      s += Math.abs(xv - w.data[((m * Cg + c) * KH + kh) * KW + kw]!);
    }
    sums.push(s);
  }
  return { sums, shape: [N, M, OH, OW] };
}

describe('AdderConv (integer) and Adder (float) kernels', () => {
  const rng = mulberry32(3);
  const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(rng() * (hi - lo + 1)));
  const x = tensor('int8', [2, 4, 5, 6], ints(240, -128, 127));
  const w = tensor('int8', [6, 2, 3, 2], ints(72, -128, 127));
  const bias = tensor('int32', [6], ints(6, -500, 500));
  const rshift = tensor('int32', [6], [3, 4, 0, -1, 5, 2]);
  const gain = tensor('int8', [6, 3], [1, 0, 0, 1, -3, 5, 2, 2, 0, -1, 0, 0, 1, 4, -8, 16, 0, 0]);

  it('acc = bias - sum |x - w| (padded taps |0 - w|), then gain, requant and clamp, as written out by hand', () => {
    const attrs = { ...geo, bits: 8, actMin: -100, actMax: 90 };
    const [y] = runOp({ kind: 'AdderConv', attrs }, [x, w, bias, rshift, gain]);
    const { sums, shape } = naiveSums(x, w, geo);
    expect(y!.shape).toEqual(shape);
    const per = sums.length / (2 * 6);
    const want = sums.map((s, i) => {
      const m = Math.floor(i / per) % 6;
      const v = requant(applyGain(bias.data[m]! - s, gain.data, m, 3), rshift.data[m]!, 8);
      return Math.min(90, Math.max(-100, v));
    });
    expect(Array.from(y!.data)).toEqual(want);
    expect(new Set(want).size).toBeGreaterThan(20);
  });

  it('the float Adder computes scale * -sum |x - w| + bias', () => {
    const xf = floatTensor(x.shape, Array.from(x.data, (v) => v / 16));
    const wf = floatTensor(w.shape, Array.from(w.data, (v) => v / 16));
    const scale = floatTensor([6], [1, -0.5, 2, 0.25, 1, 3]);
    const b = floatTensor([6], [0.5, 1, -1, 0, 2, -3]);
    const [y] = runOp({ kind: 'Adder', attrs: geo }, [xf, wf, scale, b]);
    const { sums } = naiveSums(x, w, geo);
    const per = sums.length / 12;
    sums.forEach((s, i) => { const m = Math.floor(i / per) % 6; expect(y!.data[i]).toBeCloseTo(scale.data[m]! * -(s / 16) + b.data[m]!, 3); });
  });

  it('refuses weights of another dtype than the input, and proves the accumulator bound per channel (SAC050)', () => {
    const attrs = { ...geo, bits: 8, actMin: -128, actMax: 127 };
    expect(diagnostic(() => runOp({ kind: 'AdderConv', attrs }, [x, tensor('int16', w.shape, w.data), bias, rshift])).message).toMatch(/weights are int16, the input is int8/);
    const b = new GraphBuilder('g', 13);
    const xi = b.addValue('x', { dtype: 'int8', shape: [1, 4, 5, 6] }, { quant: { frac: 4 } });
    const big = tensor('int32', [6], [0, 0, 2 ** 31 - 100, 0, 0, 0]);
    const ins = [xi, b.addConst('w', w), b.addConst('b', big), b.addConst('r', rshift)];
    const [yo] = b.addNode('adder', { kind: 'AdderConv', attrs }, ins, undefined, undefined, [{ frac: 4 }]);
    const e = diagnostic(() => checkAccumulators(b.finish([xi], [yo!])));
    expect([e.code, e.where]).toEqual(['SAC050', "node 'adder' (AdderConv)"]);
    expect(e.message).toMatch(/channel 2 accumulator can reach/);
  });
});

/** x -> Adder (weights far outside the input's range) -> BN -> ReLU -> output. */
function adderModel(wScale: number): ModelSpec {
  const rng = mulberry32(5);
  return {
    domains: [{ domain: 'ai.shiftaddc', version: 1 }],
    inputs: [{ name: 'x', shape: [1, 2, 6, 6] }],
    initializers: [
      { name: 'w', dims: [3, 2, 3, 3], data: randn(rng, 54, wScale) }, { name: 'b', dims: [3], data: [0.5, -1, 2] },
      { name: 's', dims: [3], data: [1, -0.7, 1.3] }, { name: 'bb', dims: [3], data: [0.1, 0.2, -0.1] },
      { name: 'mu', dims: [3], data: [-20, -25, -18] }, { name: 'var', dims: [3], data: [30, 40, 25] },
    ],
    nodes: [
      { op: 'AdderConv', domain: 'ai.shiftaddc', inputs: ['x', 'w', 'b'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] }, name: 'adder' },
      { op: 'BatchNormalization', inputs: ['a', 's', 'bb', 'mu', 'var'], outputs: ['n'], name: 'bn' },
      { op: 'Relu', inputs: ['n'], outputs: ['y'], name: 'relu' },
    ],
    outputs: ['y'],
  };
}

describe('ai.shiftaddc import and lowering', () => {
  it('AdderConv imports as Y = -sum |X - W| + B, BatchNorm folds into its scale and bias, ReLU fuses', () => {
    const g = modelGraph(adderModel(1));
    const xs = calib([1, 2, 6, 6], 3, 32);
    const r = compile(g, { calibration: [xs] });
    expect(r.floatGraph.nodes.map((n) => n.op.kind)).toEqual(['Adder', 'Relu']);
    expect(r.graph.nodes.map((n) => n.op.kind)).toEqual(['AdderConv']);
    const f = runGraph(g, [xs])[0]!;
    const q = runInteger(r.graph, [quantizeInput(xs, r.graph.values[r.graph.inputs[0]!]!.quant!.frac, 8)])[0]!;
    const fo = r.graph.values[r.graph.outputs[0]!]!.quant!.frac;
    let sig = 0, noise = 0;
    for (let i = 0; i < f.data.length; i++) { sig += f.data[i]! ** 2; noise += (f.data[i]! - q.data[i]! * 2 ** -fo) ** 2; }
    expect(10 * Math.log10(sig / noise)).toBeGreaterThan(30);
    const rows = r.report.adderLayers!;
    expect(rows.map((l) => [l.name, l.subs, l.abs])).toEqual([['adder', 3 * 36 * 18, 3 * 36 * 18]]);
    expect(rows[0]!.sqnrDb).toBeGreaterThan(30);
  });

  it('weights beyond the input range are clamped onto it and the excess moved into the bias: exactly', () => {
    const g = modelGraph(adderModel(40));
    const xs = calib([1, 2, 6, 6], 3, 8);
    const r = compile(g, { calibration: [xs] });
    const n = r.graph.nodes[0]!;
    const fin = r.graph.values[n.inputs[0]!]!.quant!.frac;
    const wq = r.graph.values[n.inputs[1]!]!.data!;
    const wf = g.values.find((v) => v.name === 'w')!.data!;
    const exact = Array.from(wf.data, (v) => Math.floor(v * 2 ** fin + 0.5));
    expect(exact.some((v) => v > 127 || v < -128)).toBe(true);
    // Reference: the unclamped weights with the bias before the fold give the same integers for every input.
    const excess = [0, 1, 2].map((m) => exact.slice(m * 18, m * 18 + 18).reduce((s, v) => s + Math.abs(v - Math.max(-128, Math.min(127, v))), 0));
    const bias = r.graph.values[n.inputs[2]!]!.data!;
    const unfolded = tensor('int32', [3], Array.from(bias.data, (b, m) => b + excess[m]!));
    const x = quantizeInput(xs, fin, 8);
    const wide = tensor('int16', wq.shape, exact);
    const [got] = runOp(n.op, [x, wq, bias, r.graph.values[n.inputs[3]!]!.data!, r.graph.values[n.inputs[4]!]!.data!]);
    const [want] = runOp(n.op, [tensor('int16', x.shape, x.data), wide, unfolded, r.graph.values[n.inputs[3]!]!.data!, r.graph.values[n.inputs[4]!]!.data!]);
    expect(Array.from(got!.data)).toEqual(Array.from(want!.data));
  });

  it('ShiftConv weights are lowered exactly: one term each, every row a constant multiple of the float row', () => {
    const rng = mulberry32(9);
    const spec: ModelSpec = {
      domains: [{ domain: 'ai.shiftaddc', version: 1 }],
      inputs: [{ name: 'x', shape: [1, 3, 6, 6] }],
      // Ten octaves per layer: wider than --shift-bits 3 would allow, so the layer takes B = 4.
      initializers: [{ name: 'w', dims: [4, 3, 3, 3], data: pow2Weights(rng, 108, 0).map((v, i) => (i % 13 === 0 ? Math.sign(v || 1) * 2 ** -9 : v)) }],
      nodes: [{ op: 'ShiftConv', domain: 'ai.shiftaddc', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] }, name: 'shift' }],
      outputs: ['y'],
    };
    const g = modelGraph(spec);
    const r = compile(g, { calibration: [calib([1, 3, 6, 6], 4, 16)], terms: 2, shiftBits: 3 });
    const n = r.graph.nodes[0]!;
    expect(n.op.kind).toBe('ShiftConv');
    expect(n.op.attrs).toMatchObject({ terms: 1, shiftBits: 4 });
    expect(n.inputs[4]).toBeUndefined();
    const codes = r.graph.values[n.inputs[1]!]!.data!;
    const dec = termWeights(codes, 1);
    const wf = g.values.find((v) => v.name === 'w')!.data!;
    for (let m = 0; m < 4; m++) {
      const ratios = new Set<number>();
      for (let i = m * 27; i < m * 27 + 27; i++) {
        expect(dec[i] === 0, `weight ${i}`).toBe(wf.data[i] === 0);
        if (wf.data[i] !== 0) ratios.add(dec[i]! / wf.data[i]!);
      }
      expect(ratios.size, `channel ${m}`).toBe(1);
    }
  });

  it('refuses ShiftConv weights that are not powers of two (SAC012) and a model without the domain\'s opset (SAC004)', () => {
    const spec = (w: number[], domains = [{ domain: 'ai.shiftaddc', version: 1 }]): ModelSpec => ({
      domains,
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      initializers: [{ name: 'w', dims: [1, 1, 2, 2], data: w }],
      nodes: [{ op: 'ShiftConv', domain: 'ai.shiftaddc', inputs: ['x', 'w'], outputs: ['y'], name: 'shift' }],
      outputs: ['y'],
    });
    const e = diagnostic(() => modelGraph(spec([0.5, -0.25, 0.3, 0])));
    expect([e.code, e.where]).toEqual(['SAC012', "node 'shift' (ShiftConv)"]);
    expect(e.message).toMatch(/weight 2 is 0\.3\d*, not 0 or a signed power of two/);
    expect(diagnostic(() => modelGraph(spec([1, 1, 1, 1], []))).code).toBe('SAC004');
    expect(diagnostic(() => modelGraph(spec([1, 1, 1, 1], [{ domain: 'ai.shiftaddc', version: 2 }]))).message).toMatch(/ai\.shiftaddc opset 2, supported 1/);
  });

  it('the ShiftAddNet pair network: wasm (scalar and SIMD) bit-exact with runInteger; energy counts subtractions and |.|', () => {
    const g = modelGraph(shiftAddCnn(12));
    const r = compile(g, { calibration: [calib([1, 1, 8, 8], 7, 16)], terms: 2 });
    const kinds = r.graph.nodes.map((n) => n.op.kind);
    expect(kinds.filter((k) => k === 'AdderConv')).toHaveLength(2);
    const rng = mulberry32(2);
    for (let s = 0; s < 4; s++) {
      const x = tensor('int8', [1, 1, 8, 8], Array.from({ length: 64 }, () => (s === 3 ? 127 : Math.floor(rng() * 256) - 128)));
      const want = Array.from(runInteger(r.graph, [x])[0]!.data);
      for (const simd of [false, true]) expect(Array.from(runWasm(r.graph, [x], simd)[0]!.data), `sample ${s} simd ${simd}`).toEqual(want);
    }
    const e = loweredEnergy(r.graph);
    const a1 = e.layers.find((l) => l.name === 'adder1')!;
    // 6 channels x 4 x 4 positions x (3 channels x 9 taps).
    expect([a1.shiftadd.counts.subs, a1.shiftadd.counts.abs, a1.macs]).toEqual([2592, 2592, 2592]);
    expect(a1.shiftadd.counts.mults).toBe(0);
    expect(e.layers.find((l) => l.name === 'fc')!.shiftadd.counts.subs).toBeUndefined();
  });
});
