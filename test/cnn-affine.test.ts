// Per-channel constant Mul/Add/Div after a Conv/BN (Inception v2, DenseNet): folded into the conv, else a depthwise gain.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../src/ir/interp-float.js';
import { passContext } from '../src/passes/context.js';
import { foldBatchnorm } from '../src/passes/fold-batchnorm.js';
import { foldChannelAffine } from '../src/passes/fold-channel-affine.js';
import { runPass } from '../src/passes/pipeline.js';
import { randn } from './backend-c-models.js';
import { agreement, compileModel, expectCBitExact, samples } from './helpers/coverage.js';
import { modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

/** Conv -> BN -> Mul -> Add -> Relu (Inception v2), then concat -> BN -> Mul -> Div -> Relu -> Conv (DenseNet). */
function affineNet(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  const pos = (n: number) => randn(rng, n, 0.3).map((v) => 1 + Math.abs(v));
  const bn = (p: string, c: number) => [
    { name: `${p}_s`, dims: [c], data: pos(c) }, { name: `${p}_b`, dims: [c], data: randn(rng, c, 0.1) },
    { name: `${p}_m`, dims: [c], data: randn(rng, c, 0.1) }, { name: `${p}_v`, dims: [c], data: pos(c) },
  ];
  return {
    inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [4, 3, 3, 3], data: randn(rng, 108, 0.3) }, ...bn('bn1', 4),
      { name: 'mul1', dims: [4, 1, 1], data: pos(4) }, { name: 'add1', dims: [4, 1, 1], data: randn(rng, 4, 0.2) },
      ...bn('bn2', 7), { name: 'mul2', dims: [7, 1, 1], data: pos(7).map((v, i) => (i % 2 ? v : 1 / v)) },
      { name: 'div2', dims: [1, 7, 1, 1], data: pos(7) },
      { name: 'w3', dims: [6, 7, 1, 1], data: randn(rng, 42, 0.4) }, { name: 'wf', dims: [5, 6], data: randn(rng, 30, 0.5) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'BatchNormalization', inputs: ['c1', 'bn1_s', 'bn1_b', 'bn1_m', 'bn1_v'], outputs: ['n1'], name: 'bn1' },
      { op: 'Mul', inputs: ['n1', 'mul1'], outputs: ['m1'], name: 'scale1' },
      { op: 'Add', inputs: ['m1', 'add1'], outputs: ['a1'], name: 'shift1' },
      { op: 'Relu', inputs: ['a1'], outputs: ['r1'], name: 'relu1' },
      { op: 'Concat', inputs: ['x', 'r1'], outputs: ['cat'], attrs: { axis: 1 }, name: 'concat' },
      { op: 'BatchNormalization', inputs: ['cat', 'bn2_s', 'bn2_b', 'bn2_m', 'bn2_v'], outputs: ['n2'], name: 'bn2' },
      { op: 'Mul', inputs: ['mul2', 'n2'], outputs: ['m2'], name: 'scale2' },
      { op: 'Div', inputs: ['m2', 'div2'], outputs: ['q2'], name: 'div2' },
      { op: 'Relu', inputs: ['q2'], outputs: ['r2'], name: 'relu2' },
      { op: 'Conv', inputs: ['r2', 'w3'], outputs: ['c3'], name: 'conv3' },
      { op: 'GlobalAveragePool', inputs: ['c3'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

describe('per-channel constant affine ops', () => {
  const g = modelGraph(affineNet(1));

  it('fold-channel-affine keeps the float function and leaves no elementwise Mul/Add/Div or BatchNormalization', () => {
    const ctx = passContext({});
    const out = runPass(foldChannelAffine, runPass(foldBatchnorm, g, ctx), ctx);
    const kinds = out.nodes.map((n) => n.op.kind);
    for (const k of ['Mul', 'Add', 'Div', 'BatchNormalization']) expect(kinds).not.toContain(k);
    // conv1 absorbed BN, Mul and Add; the concat's BN/Mul/Div is one depthwise 1x1 Conv (group 7).
    expect(kinds.filter((k) => k === 'Conv')).toHaveLength(3);
    expect(out.nodes.some((n) => n.op.kind === 'Conv' && n.op.attrs.group === 7)).toBe(true);
    for (const x of samples(g, 4, 2).each) {
      const want = runGraph(g, [x])[0]!;
      const got = runGraph(out, [x])[0]!;
      want.data.forEach((v, i) => expect(got.data[i]!).toBeCloseTo(v, 4));
    }
  });

  it('compiles multiply-free: float vs shift-add SQNR and top-1, C bit-exact with runInteger', () => {
    const res = compileModel(g, samples(g, 32, 3).stacked);
    const test = samples(g, 64, 4).each;
    const a = agreement(g, res, test);
    expect(a.sqnrDb).toBeGreaterThan(20);
    expect(a.top1).toBeGreaterThanOrEqual(0.9);
    expect(res.report.totals.multiplies).toBe(0);
    const c = expectCBitExact(res, 'affine_net', test.slice(0, 8));
    expect(c.equal).toBe(true);
    expect(c.stars).toEqual([]);
  });

  it('the depthwise gain survives weight and channel pruning (verified after every pass)', () => {
    const res = compileModel(g, samples(g, 32, 3).stacked, { prune: 0.3, pruneChannels: 0.25 });
    expect(res.graph.nodes.some((n) => n.op.kind === 'ShiftConv' && n.op.attrs.group === 7)).toBe(true);
    expect(agreement(g, res, samples(g, 32, 4).each).sqnrDb).toBeGreaterThan(10);
  });
});
