// Shift-add conversion: pipeline goldens, lowering of every supported op, recovery gains and the error bound.
import { describe, expect, it } from 'vitest';
import { compile, SHIFT_PIPELINE } from '../src/compile.js';
import { runFloat } from '../src/api.js';
import { runShift } from '../src/eval.js';
import type { Graph } from '../src/ir/graph.js';
import { printGraph } from '../src/ir/printer.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { expectGolden } from './helpers/golden.js';
import { float, modelGraph } from './helpers/onnx-builder.js';
import { tinyCnn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

function images(seed: number, n: number): Tensor {
  const rng = mulberry32(seed);
  return tensor('float32', [n, 1, 8, 8], Array.from({ length: n * 64 }, () => rng()));
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

function rms(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i]! ** 2;
  return Math.sqrt(s / t.data.length);
}

/** Identity -> Conv -> BN -> ReLU -> Conv -> ReLU -> Conv -> Mul -> x * HardSigmoid(x) -> MaxPool -> Flatten -> Gemm -> Softmax on [1, 1, 8, 8]. */
function pipelineCnn(): Parameters<typeof modelGraph>[0] {
  const rng = mulberry32(11);
  const randn = (n: number, s: number) => Array.from({ length: n }, () => (rng() + rng() + rng() - 1.5) * s);
  return {
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [4, 1, 3, 3], data: randn(36, 0.6) }, { name: 'b1', dims: [4], data: randn(4, 0.1) },
      { name: 'bn_s', dims: [4], data: [1, 0.8, 1.2, 0.9] }, { name: 'bn_b', dims: [4], data: [0.1, -0.1, 0, 0.05] },
      { name: 'bn_m', dims: [4], data: [0.05, 0, -0.05, 0.1] }, { name: 'bn_v', dims: [4], data: [1, 1.5, 0.7, 1.1] },
      { name: 'w2', dims: [8, 4, 3, 3], data: randn(288, 0.3) }, { name: 'b2', dims: [8], data: randn(8, 0.1) },
      { name: 'w3', dims: [4, 8, 1, 1], data: randn(32, 0.4) },
      { name: 'wf', dims: [3, 64], data: randn(192, 0.2) }, { name: 'bf', dims: [3], data: randn(3, 0.1) },
      { name: 'gain3', dims: [4, 1, 1], data: [1.5, 0.75, 1, 2] },
      { name: 'lo', dims: [], data: [-1] }, { name: 'hi', dims: [], data: [2] },
    ],
    nodes: [
      { op: 'Identity', inputs: ['x'], outputs: ['xi'], name: 'id' },
      { op: 'Conv', inputs: ['xi', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'BatchNormalization', inputs: ['c1', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], outputs: ['n1'], name: 'bn1' },
      { op: 'Relu', inputs: ['n1'], outputs: ['r1'], name: 'relu1' },
      { op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv2' },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'], name: 'relu2' },
      // A quantised model's range clamp after the ReLU (merge-clamps joins them).
      { op: 'Clip', inputs: ['r2', 'lo', 'hi'], outputs: ['q2'], name: 'range2' },
      { op: 'Conv', inputs: ['q2', 'w3'], outputs: ['c3'], name: 'conv3' },
      { op: 'Mul', inputs: ['c3', 'gain3'], outputs: ['g3'], name: 'gain3' },
      { op: 'HardSigmoid', inputs: ['g3'], outputs: ['hs3'], attrs: { alpha: float(1 / 6), beta: float(0.5) }, name: 'hsig3' },
      { op: 'Mul', inputs: ['g3', 'hs3'], outputs: ['h3'], name: 'hswish3' },
      { op: 'MaxPool', inputs: ['h3'], outputs: ['p3'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
      { op: 'Flatten', inputs: ['p3'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['logits'], attrs: { transB: 1 }, name: 'fc' },
      { op: 'Softmax', inputs: ['logits'], outputs: ['y'], attrs: { axis: 1 }, name: 'prob' },
    ],
    outputs: ['y'],
  };
}

describe('shift-add conversion', () => {
  const graph: Graph = modelGraph(tinyCnn(1));
  const calib = images(2, 64);

  it('prints stable IR after every pass, each pass changing the graph (golden)', () => {
    // A model on which every pass has work: an Identity, a BN, a channel gain, a hard swish as Mul, a ReLU and a clamp, a trailing softmax, Conv pairs and weights to prune.
    const model = modelGraph(pipelineCnn());
    const texts = new Map<string, string>();
    for (const pass of new Set(SHIFT_PIPELINE.map((p) => p.name))) {
      let text = '';
      // The first run of a pass is pinned (canonicalize runs twice; the second has nothing left to do here).
      // pair-convs works only in pair mode: its golden is the graph after it with --mode shiftadd.
      const mode = pass === 'pair-convs' ? { mode: 'shiftadd' as const } : {};
      compile(model, { calibration: [calib], terms: 2, prune: 0.25, pruneChannels: 0.25, ...mode, verifyEach: true, printIrAfter: pass, onIr: (_p, t) => { text ||= t; } });
      texts.set(pass, text);
    }
    const distinct = new Set(texts.values());
    expect(distinct.size, 'two pipeline goldens are identical: some pass did nothing on the golden model').toBe(texts.size);
    for (const [pass, text] of texts) expectGolden(`pipeline/after-${pass}.ir`, text);
  });

  it('lowers every op to integers with zero multiplies', () => {
    const r = compile(graph, { calibration: [calib], terms: 2, verifyEach: true });
    const kinds = new Set(r.graph.nodes.map((n) => n.op.kind));
    for (const k of ['ShiftConv', 'ShiftGemm', 'QAdd', 'QAveragePool', 'Lut', 'MaxPool', 'Concat']) expect(kinds).toContain(k);
    expect(r.graph.values.every((v) => v.type.dtype !== 'float32')).toBe(true);
    expect(r.report.totals.multiplies).toBe(0);
    expect(r.report.layers.every((l) => l.multiplies === 0 && l.shifts > 0)).toBe(true);
  });

  it('--avg-terms spreads the budget over layers and meets it overall', () => {
    const r = compile(graph, { calibration: [calib], terms: 2, avgTerms: 1.5, verifyEach: true });
    const shift = r.report.layers.filter((l) => l.weights > 0);
    const terms = shift.reduce((s, l) => s + l.termsPerWeight * l.weights, 0);
    const weights = shift.reduce((s, l) => s + l.weights, 0);
    expect(terms / weights).toBeLessThanOrEqual(1.5 + 1e-9);
    expect(terms / weights).toBeGreaterThan(1.2);
    // Allocation is per layer by output error, not a uniform 1.5 everywhere.
    expect(new Set(shift.map((l) => l.termsPerWeight.toFixed(2))).size).toBeGreaterThan(1);
  });

  it('K=3 tracks the float model closely; more terms never hurt much', () => {
    const test = images(3, 32);
    const [ref] = runFloat(graph, [test]);
    const errs = [1, 2, 3].map((terms) => maxAbsDiff(runShift(compile(graph, { calibration: [calib], terms }), [test])[0]!, ref!));
    expect(errs[2]!).toBeLessThan(0.1 * rms(ref!) + 0.05);
    expect(errs[2]!).toBeLessThanOrEqual(errs[0]! + 1e-9);
  });

  it('recovery lowers the output error compared with plain log rounding', () => {
    const test = images(4, 64);
    const [ref] = runFloat(graph, [test]);
    const err = (recover: boolean) => {
      const [y] = runShift(compile(graph, { calibration: [calib], terms: 1, recover }), [test]);
      let s = 0;
      for (let i = 0; i < y!.data.length; i++) s += (y!.data[i]! - ref!.data[i]!) ** 2;
      return s;
    };
    expect(err(true)).toBeLessThan(err(false));
  });

  it('is deterministic', () => {
    const a = printGraph(compile(graph, { calibration: [calib] }).graph, { elideConstantsOver: Infinity });
    const b = printGraph(compile(graph, { calibration: [calib] }).graph, { elideConstantsOver: Infinity });
    expect(a).toBe(b);
  });

  it('rejects bad options and missing calibration with diagnostics', () => {
    expect(() => compile(graph, { calibration: [calib], terms: 7 })).toThrow(/SAC040|--terms/);
    expect(() => compile(graph, {})).toThrow(/calibration/);
    expect(() => compile(graph, { calibration: [calib], printIrAfter: 'nope' })).toThrow(/unknown pass/);
  });
});

describe('structured channel pruning', () => {
  it('removes the weakest channels and folds their constant output into the next layer exactly', async () => {
    const { pruneChannels } = await import('../src/passes/prune-channels.js');
    const { passContext } = await import('../src/passes/context.js');
    const { runPass } = await import('../src/passes/pipeline.js');
    const rng = mulberry32(9);
    // Channels 1 and 3 of conv1 have zero weights: their ReLU output is the constant relu(bias).
    const w1 = Array.from({ length: 4 * 9 }, (_, i) => (Math.floor(i / 9) % 2 === 1 ? 0 : rng() - 0.5));
    const g = modelGraph({
      inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
      initializers: [
        { name: 'w1', dims: [4, 1, 3, 3], data: w1 }, { name: 'b1', dims: [4], data: [0.1, 0.5, -0.2, 0.3] },
        { name: 'w2', dims: [2, 4, 3, 3], data: Array.from({ length: 72 }, () => rng() - 0.5) }, { name: 'b2', dims: [2], data: [0, 0.1] },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
        { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
        { op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['y'], name: 'conv2' },
      ],
      outputs: ['y'],
    });
    const calib = tensor('float32', [8, 1, 6, 6], Array.from({ length: 288 }, () => rng()));
    const pruned = runPass(pruneChannels, g, passContext({ pruneChannels: 0.5, calibration: [calib] }));
    const w = pruned.nodes.find((n) => n.name === 'conv1')!;
    expect(pruned.values[w.outputs[0]!]!.type.shape[1]).toBe(2);
    const [a] = runFloat(g, [calib]);
    const [b] = runFloat(pruned, [calib]);
    expect(maxAbsDiff(a!, b!)).toBeLessThan(1e-5);
  });
});

describe('library options', () => {
  it('an explicitly undefined option takes its default instead of breaking the conversion', () => {
    const g = modelGraph(tinyCnn(1));
    const calib = images(2, 16);
    const a = compile(g, { calibration: [calib], terms: undefined, shiftBits: undefined, actBits: undefined, recover: undefined });
    const b = compile(g, { calibration: [calib] });
    expect(printGraph(a.graph, { elideConstantsOver: Infinity })).toBe(printGraph(b.graph, { elideConstantsOver: Infinity }));
    expect(a.report.options.terms).toBe(2);
  });
});
