// Import of onnxruntime-quantised int8 models (QDQ, QLinearConv, QLinearMatMul): weights dequantised exactly, activation
// ranges kept as clamps; the float import matches onnxruntime, the shift-add network matches it, its C matches runInteger.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ShiftaddcError } from '../src/diagnostics.js';
import type { Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { agreement, compileModel, expectCBitExact, runShift, samples } from './helpers/coverage.js';
import { buildModel, modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { floatSpec, floatWeights, qdqSpec, qopSpec } from './helpers/qdq.js';

const w = floatWeights();
const floatGraph = modelGraph(floatSpec(w));
const calib = samples(floatGraph, 64, 1).stacked;
const test = samples(floatGraph, 32, 2).each;

/** SQNR in dB of `got` against `want`, over all samples' outputs. */
function sqnr(want: readonly Tensor[], got: readonly Tensor[]): number {
  let s = 0;
  let n = 0;
  want.forEach((t, k) => t.data.forEach((v, i) => { s += v ** 2; n += (v - got[k]!.data[i]!) ** 2; }));
  return 10 * Math.log10(s / Math.max(n, 1e-30));
}

async function ortRun(spec: ModelSpec, xs: readonly Tensor[]): Promise<Tensor[]> {
  const session = await ort.InferenceSession.create(buildModel(spec));
  const out: Tensor[] = [];
  for (const x of xs) {
    const r = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) });
    out.push(tensor('float32', [...x.shape.slice(0, 1), 3], r.y!.data as Float32Array));
  }
  return out;
}

const run = (g: Graph, xs: readonly Tensor[]) => xs.map((x) => runGraph(g, [x])[0]!);

const FORMATS = [
  ['QDQ', (wt, c) => qdqSpec(wt, c)],
  ['QDQ with quantised logits', (wt, c) => qdqSpec(wt, c, true)],
  ['QOperator (QLinearConv)', (wt, c) => qopSpec(wt, c)],
] as const satisfies readonly (readonly [string, (wt: typeof w, c: Tensor) => ReturnType<typeof qdqSpec>])[];

for (const [format, make] of FORMATS) {
  describe(`an onnxruntime ${format} int8 model`, () => {
    const { spec, q } = make(w, calib);
    const g = modelGraph(spec);

    it('imports as float ops: int8 weights dequantised exactly, each quantised activation a clamp to its range', () => {
      const convs = g.nodes.filter((n) => n.op.kind === 'Conv');
      expect(convs).toHaveLength(2);
      const w1 = g.values[convs[0]!.inputs[1]!]!.data!;
      expect(Array.from(w1.data)).toEqual(q.w1.q.map((v, i) => Math.fround(v * q.w1.s[Math.floor(i / 9)]!)));
      expect(g.nodes.some((n) => /Quantize|QLinear/.test(n.op.kind))).toBe(false);
      // Each quantised tensor's range, once per QuantizeLinear / QLinear output and again at its DequantizeLinear
      // (merge-clamps joins the two): the input's int8 range, each ReLU'd activation's uint8 range [0, 255 scale].
      const clips = g.nodes.filter((n) => n.op.kind === 'Clip').map((n) => JSON.stringify(n.op.attrs));
      const ranges = clips.filter((c, i) => c !== clips[i - 1]).map((c) => JSON.parse(c) as { min: number; max: number });
      const want = [[-128 * q.xs, 127 * q.xs], [0, 255 * q.a1], [0, 255 * q.a2], ...(format.includes('logits') ? [[-128 * q.ys, 127 * q.ys]] : [])];
      expect(ranges).toEqual(want.map(([lo, hi]) => ({ min: Math.fround(lo!), max: Math.fround(hi!) })));
      expect(g.values[g.outputs[0]!]!.name).toBe('y');
    });

    it('its float import matches onnxruntime on the quantised model (which rounds every activation to its grid)', async () => {
      const ref = await ortRun(spec, test);
      const db = sqnr(ref, run(g, test));
      expect(db).toBeGreaterThan(30);
      // And the quantised model is the float one within int8 noise: the comparison is not vacuous.
      expect(sqnr(run(floatGraph, test), ref)).toBeGreaterThan(25);
    });

    it('compiles to a shift-add network close to onnxruntime\'s output, clamped to the model\'s ranges, C bit-exact', async () => {
      const res = compileModel(g, calib);
      // The model's output name survives the quantised pair before it.
      expect(res.graph.values[res.graph.outputs[0]!]!.name).toBe('y');
      const ref = await ortRun(spec, test);
      const approx = test.map((x) => runShift(res, x));
      const vsOrt = sqnr(ref, approx);
      const vsFloat = agreement(g, res, test);
      expect(vsOrt).toBeGreaterThan(20);
      expect(vsFloat.sqnrDb).toBeGreaterThan(20);
      expect(vsFloat.top1).toBeGreaterThanOrEqual(0.9);
      // conv1's lowered output clamp is the model's uint8 range of r1, at the calibrated frac.
      const conv1 = res.graph.nodes.find((n) => n.op.kind === 'ShiftConv')!;
      const frac = res.graph.values[conv1.outputs[0]!]!.quant!.frac;
      const { actMin, actMax } = conv1.op.attrs as { actMin: number; actMax: number };
      expect(actMin).toBe(0);
      expect(actMax * 2 ** -frac).toBeLessThanOrEqual(255 * q.a1 + 2 ** -frac);
      // Each ReLU'd range merged into its Conv's clamp (merge-clamps): only the input's clamp is a node of its own.
      expect(res.graph.nodes.filter((n) => n.op.kind === 'Requantize')).toHaveLength(1);
      expect(expectCBitExact(res, format.startsWith('QDQ') ? 'qdq' : 'qop', test.slice(0, 8)).equal).toBe(true);
      console.log(`${format}: shift-add vs onnxruntime ${vsOrt.toFixed(1)} dB, vs the float import ${vsFloat.sqnrDb.toFixed(1)} dB, top-1 agreement ${vsFloat.top1}`);
    });
  });
}

describe('QLinearMatMul and what is refused', () => {
  const mm: ModelSpec = {
    inputs: [{ name: 'x', shape: [1, 4] }],
    initializers: [
      { name: 's', dims: [], data: [0.05] }, { name: 'z', dims: [], data: [128], dtype: 'uint8' },
      { name: 'b', dims: [4, 3], data: [12, -7, 100, -128, 5, 33, 64, 0, -1, 127, -90, 8], dtype: 'int8' },
      { name: 'bs', dims: [3], data: [0.01, 0.02, 0.004] }, { name: 'bz', dims: [3], data: [0, 0, 0], dtype: 'int8' },
      { name: 'ys', dims: [], data: [0.03] }, { name: 'yz', dims: [], data: [100], dtype: 'uint8' },
    ],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['xq'] },
      { op: 'QLinearMatMul', inputs: ['xq', 's', 'z', 'b', 'bs', 'bz', 'ys', 'yz'], outputs: ['yq'], name: 'mm' },
      { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'] },
    ],
    outputs: ['y'],
  };

  it('QLinearMatMul is a MatMul on per-column dequantised weights, clamped to y\'s range, within one y step of onnxruntime', async () => {
    const g = modelGraph(mm);
    const xs = [0, 1, 2, 3].map((k) => tensor('float32', [1, 4], [0.3 * k - 0.5, 1.1 - k * 0.2, -0.7 + k * 0.5, 0.05 * k]));
    const session = await ort.InferenceSession.create(buildModel(mm));
    for (const x of xs) {
      const ref = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [1, 4]) })).y!.data as Float32Array;
      const got = runGraph(g, [x])[0]!.data;
      // Ours skips the two roundings to the grids of x (0.05) and y (0.03): at most a few steps of y apart.
      ref.forEach((v, i) => expect(Math.abs(v - got[i]!)).toBeLessThan(0.03 * 3));
    }
    const clip = g.nodes.find((n) => n.op.kind === 'Clip' && n.name === 'mm')!;
    expect(clip.op.attrs).toEqual({ min: Math.fround(-100 * 0.03), max: Math.fround(155 * 0.03) });
  });

  const code = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { return e instanceof ShiftaddcError ? `${e.code} ${e.message}` : String(e); } };

  it('per-axis scales on an activation and a quantised graph input are refused with a diagnostic naming the node', () => {
    const perAxis: ModelSpec = { ...mm, initializers: [...mm.initializers!, { name: 'pa', dims: [4], data: [0.1, 0.1, 0.2, 0.2] }, { name: 'pz', dims: [4], data: [0, 0, 0, 0], dtype: 'int8' }],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 'pa', 'pz'], outputs: ['y'], attrs: { axis: 1 }, name: 'qx' }] };
    expect(code(() => modelGraph(perAxis))).toMatch(/^SAC005 .*per-axis scales on an activation/);
    const intInput: ModelSpec = { inputs: [{ name: 'x', shape: [1, 4], dtype: 'uint8' }], initializers: mm.initializers!, nodes: [{ op: 'DequantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'] }], outputs: ['y'] };
    expect(code(() => modelGraph(intInput))).toMatch(/^SAC015 .*DequantizeLinear of a run-time uint8 tensor/);
    const zeroScale: ModelSpec = { ...mm, initializers: mm.initializers!.map((t) => (t.name === 's' ? { ...t, data: [0] } : t)) };
    expect(code(() => modelGraph(zeroScale))).toMatch(/^SAC012 .*scale must be finite and positive/);
    const blocked: ModelSpec = { ...mm, nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: { block_size: 2 }, name: 'qb' }] };
    expect(code(() => modelGraph(blocked))).toMatch(/^SAC012 .*blocked quantisation/);
  });
});
