// Small test models for the C backend tests, compiled to lowered graphs and emitted as C.
import { emitC, type CEmitResult } from '../src/backends/c/emit.js';
import type { WeightForm } from '../src/backends/c/kernel.js';
import { compile, type CompileOptions } from '../src/compile.js';
import type { Graph } from '../src/ir/graph.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { float, modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32, type Rng } from './helpers/prng.js';

export function randn(rng: Rng, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng()));
}

/** test/lower.test.ts's tinyCnn: conv+BN+ReLU, depthwise+ReLU6, residual add, concat, pools, sigmoid, gemm. */
export function tinyCnn(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [4, 1, 3, 3], data: randn(rng, 36, 0.5) }, { name: 'b1', dims: [4], data: randn(rng, 4, 0.1) },
      { name: 'bn_s', dims: [4], data: [1, 0.8, 1.2, 0.9] }, { name: 'bn_b', dims: [4], data: [0.1, -0.1, 0, 0.05] },
      { name: 'bn_m', dims: [4], data: [0.05, 0, -0.05, 0.1] }, { name: 'bn_v', dims: [4], data: [1, 1.5, 0.7, 1.1] },
      { name: 'wd', dims: [4, 1, 3, 3], data: randn(rng, 36, 0.4) }, { name: 'w2', dims: [4, 8, 1, 1], data: randn(rng, 32, 0.4) },
      { name: 'wf', dims: [3, 4], data: randn(rng, 12, 0.6) }, { name: 'bf', dims: [3], data: randn(rng, 3, 0.1) },
      { name: 'zero', dims: [], data: [0] }, { name: 'six', dims: [], data: [6] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'BatchNormalization', inputs: ['c1', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], outputs: ['n1'], name: 'bn1' },
      { op: 'Relu', inputs: ['n1'], outputs: ['r1'], name: 'relu1' },
      { op: 'Conv', inputs: ['r1', 'wd'], outputs: ['d1'], attrs: { pads: [1, 1, 1, 1], group: 4 }, name: 'dw' },
      { op: 'Clip', inputs: ['d1', 'zero', 'six'], outputs: ['d2'], name: 'relu6' },
      { op: 'Add', inputs: ['r1', 'd2'], outputs: ['a1'], name: 'residual' },
      { op: 'Concat', inputs: ['a1', 'd2'], outputs: ['cat'], attrs: { axis: 1 }, name: 'concat' },
      { op: 'MaxPool', inputs: ['cat'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
      { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], name: 'conv2' },
      { op: 'Sigmoid', inputs: ['c2'], outputs: ['s2'], name: 'sigmoid' },
      { op: 'GlobalAveragePool', inputs: ['s2'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** Grouped/strided/dilated/asymmetric-padded convs, padded ceil-mode pools, broadcast add, layout ops. */
export function geometryCnn(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    inputs: [{ name: 'x', shape: [1, 4, 9, 7] }],
    initializers: [
      { name: 'w1', dims: [6, 2, 3, 2], data: randn(rng, 72, 0.5) }, { name: 'b1', dims: [6], data: randn(rng, 6, 0.1) },
      { name: 'wd', dims: [6, 1, 3, 3], data: randn(rng, 54, 0.5) },
      { name: 'w3', dims: [5, 12, 2, 2], data: randn(rng, 240, 0.3) },
      { name: 'wf', dims: [4, 30], data: randn(rng, 120, 0.3) }, { name: 'bf', dims: [4], data: randn(rng, 4, 0.1) },
      { name: 'zero', dims: [], data: [0] }, { name: 'six', dims: [], data: [6] },
      { name: 'pads', dims: [8], data: [0, 0, 1, 0, 0, 0, 0, 1], dtype: 'int64' },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { group: 2, strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2] }, name: 'gconv' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
      { op: 'Conv', inputs: ['r1', 'wd'], outputs: ['d1'], attrs: { group: 6, pads: [2, 2, 2, 2], dilations: [2, 2] }, name: 'dwdil' },
      { op: 'Clip', inputs: ['d1', 'zero', 'six'], outputs: ['d2'], name: 'relu6' },
      { op: 'GlobalAveragePool', inputs: ['d2'], outputs: ['gp'], name: 'gap' },
      { op: 'Add', inputs: ['d2', 'gp'], outputs: ['a1'], name: 'bcast_add' },
      { op: 'MaxPool', inputs: ['a1'], outputs: ['m1'], attrs: { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], ceil_mode: 1 }, name: 'maxpool' },
      { op: 'AveragePool', inputs: ['r1'], outputs: ['ap'], attrs: { kernel_shape: [2, 3], pads: [1, 1, 0, 1], strides: [2, 1], count_include_pad: 0 }, name: 'avgpool' },
      { op: 'Concat', inputs: ['m1', 'ap'], outputs: ['cat'], attrs: { axis: 1 }, name: 'concat' },
      { op: 'Pad', inputs: ['cat', 'pads'], outputs: ['pm'], name: 'pad' },
      { op: 'Conv', inputs: ['pm', 'w3'], outputs: ['c3'], attrs: { strides: [2, 2] }, name: 'conv3' },
      { op: 'Transpose', inputs: ['c3'], outputs: ['t3'], attrs: { perm: [0, 1, 3, 2] }, name: 'transpose' },
      { op: 'Flatten', inputs: ['t3'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1, alpha: float(1) }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** 1-D convolutions (strided, dilated), tanh table, reversed strided slice, standalone ReLU, global max pool. */
export function conv1d(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    inputs: [{ name: 'x', shape: [1, 3, 16] }],
    initializers: [
      { name: 'w1', dims: [5, 3, 5], data: randn(rng, 75, 0.4) }, { name: 'w2', dims: [4, 5, 3], data: randn(rng, 60, 0.4) },
      { name: 'wf', dims: [2, 4], data: randn(rng, 8, 0.5) },
      { name: 'st', dims: [1], data: [-1], dtype: 'int64' }, { name: 'en', dims: [1], data: [-100], dtype: 'int64' },
      { name: 'ax', dims: [1], data: [2], dtype: 'int64' }, { name: 'sp', dims: [1], data: [-2], dtype: 'int64' },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { strides: [2], pads: [2, 1] }, name: 'c1d' },
      { op: 'Tanh', inputs: ['c1'], outputs: ['t1'], name: 'tanh' },
      { op: 'Slice', inputs: ['t1', 'st', 'en', 'ax', 'sp'], outputs: ['sl'], name: 'reverse_slice' },
      { op: 'Relu', inputs: ['sl'], outputs: ['rl'], name: 'relu' },
      { op: 'Conv', inputs: ['rl', 'w2'], outputs: ['c2'], attrs: { dilations: [2], pads: [2, 2] }, name: 'c1d_dil' },
      { op: 'GlobalMaxPool', inputs: ['c2'], outputs: ['g'], name: 'gmp' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** More than 256 taps per output channel (paged tap streams), with and without a tap offset table. */
export function wide(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    inputs: [{ name: 'x', shape: [1, 32, 6, 6] }],
    initializers: [{ name: 'w1', dims: [12, 32, 3, 3], data: randn(rng, 3456, 0.1) }, { name: 'wf', dims: [5, 432], data: randn(rng, 2160, 0.05) }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv_wide' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu' },
      { op: 'Flatten', inputs: ['r1'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc_wide' },
    ],
    outputs: ['y'],
  };
}

/**
 * Channels of very different ranges behind a ReLU6, an average pool, a depthwise conv and a flatten: every
 * weight-layer output gets per-channel fracs, and the ReLU6 a per-channel clamp (ShiftAttrs.channelMax).
 */
export function channelCnn(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  const w1 = randn(rng, 54, 1).map((v, i) => v * 2 ** (2 - Math.floor(i / 9)));
  return {
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [6, 1, 3, 3], data: w1 }, { name: 'b1', dims: [6], data: randn(rng, 6, 0.05) },
      { name: 'wd', dims: [6, 1, 3, 3], data: randn(rng, 54, 0.5) },
      { name: 'wf', dims: [3, 6], data: randn(rng, 18, 0.6) },
      { name: 'zero', dims: [], data: [0] }, { name: 'six', dims: [], data: [6] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'Clip', inputs: ['c1', 'zero', 'six'], outputs: ['r1'], name: 'relu6' },
      { op: 'AveragePool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'avg' },
      { op: 'Conv', inputs: ['p1', 'wd'], outputs: ['d1'], attrs: { pads: [1, 1, 1, 1], group: 6 }, name: 'dw' },
      { op: 'Relu', inputs: ['d1'], outputs: ['r2'], name: 'relu' },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** Signed powers of two 2^-6..2^0 (a tenth zero): DeepShift-style weights for ai.shiftaddc ShiftConv. */
export function pow2Weights(rng: Rng, n: number, top = 0): number[] {
  return Array.from({ length: n }, () => (rng() < 0.1 ? 0 : (rng() < 0.5 ? -1 : 1) * 2 ** (top - Math.floor(rng() * 7))));
}

/**
 * ShiftAddNet's pair (ai.shiftaddc): stem conv, 3x3 shift conv (stride 2) -> 3x3 adder conv (grouped) -> BN -> ReLU,
 * 1x1 shift -> 1x1 adder -> BN on the residual path, add, pool, classifier.
 */
export function shiftAddCnn(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  const bn = (name: string, c: number, d: number) => [
    { name: `${name}_s`, dims: [c], data: randn(rng, c, 0.2).map((v) => 1 + v) }, { name: `${name}_b`, dims: [c], data: randn(rng, c, 0.1) },
    { name: `${name}_m`, dims: [c], data: randn(rng, c, 0.1 * d).map((v) => v - 0.9 * d) }, { name: `${name}_v`, dims: [c], data: new Array(c).fill((0.4 * d) ** 2) },
  ];
  const sa = 'ai.shiftaddc';
  return {
    domains: [{ domain: sa, version: 1 }],
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    initializers: [
      { name: 'w0', dims: [4, 1, 3, 3], data: randn(rng, 36, 0.5) },
      { name: 'ws1', dims: [6, 4, 3, 3], data: pow2Weights(rng, 216, -1) }, { name: 'bs1', dims: [6], data: randn(rng, 6, 0.1) },
      { name: 'wa1', dims: [6, 3, 3, 3], data: randn(rng, 162, 0.6) }, ...bn('bn1', 6, 27),
      { name: 'ws2', dims: [6, 6, 1, 1], data: pow2Weights(rng, 36, -1) },
      { name: 'wa2', dims: [6, 6, 1, 1], data: randn(rng, 36, 0.6) }, ...bn('bn2', 6, 6),
      { name: 'wf', dims: [3, 6], data: randn(rng, 18, 0.6) }, { name: 'bf', dims: [3], data: randn(rng, 3, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w0'], outputs: ['c0'], attrs: { pads: [1, 1, 1, 1] }, name: 'stem' },
      { op: 'Relu', inputs: ['c0'], outputs: ['r0'], name: 'relu0' },
      { op: 'ShiftConv', domain: sa, inputs: ['r0', 'ws1', 'bs1'], outputs: ['s1'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, name: 'shift1' },
      { op: 'AdderConv', domain: sa, inputs: ['s1', 'wa1'], outputs: ['a1'], attrs: { pads: [1, 1, 1, 1], group: 2 }, name: 'adder1' },
      { op: 'BatchNormalization', inputs: ['a1', 'bn1_s', 'bn1_b', 'bn1_m', 'bn1_v'], outputs: ['n1'], name: 'bn1' },
      { op: 'Relu', inputs: ['n1'], outputs: ['r1'], name: 'relu1' },
      { op: 'ShiftConv', domain: sa, inputs: ['r1', 'ws2'], outputs: ['s2'], name: 'shift2' },
      { op: 'AdderConv', domain: sa, inputs: ['s2', 'wa2'], outputs: ['a2'], name: 'adder2' },
      { op: 'BatchNormalization', inputs: ['a2', 'bn2_s', 'bn2_b', 'bn2_m', 'bn2_v'], outputs: ['n2'], name: 'bn2' },
      { op: 'Add', inputs: ['r1', 'n2'], outputs: ['sum'], name: 'residual' },
      { op: 'GlobalAveragePool', inputs: ['sum'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

export function calib(shape: readonly number[], seed: number, n = 16): Tensor {
  const rng = mulberry32(seed);
  return tensor('float32', [n, ...shape.slice(1)], randn(rng, n * numel(shape.slice(1)), 0.8));
}

export interface Case { name: string; graph: Graph; c: CEmitResult }

export function compileCase(name: string, spec: ModelSpec, opts: Partial<CompileOptions> = {}, weights: WeightForm = 'auto'): Case {
  const g = modelGraph(spec);
  const x = g.values[g.inputs[0]!]!;
  const r = compile(g, { calibration: [calib(x.type.shape, 7)], terms: 2, ...opts });
  return { name, graph: r.graph, c: emitC(r.graph, { name, weights }) };
}

export const CASES: (() => Case)[] = [
  () => compileCase('tiny', tinyCnn(1)),
  () => compileCase('geom', geometryCnn(3)),
  () => compileCase('oned', conv1d(5)),
  () => compileCase('geom16', geometryCnn(8), { actBits: 16 }),
  () => compileCase('pruned', tinyCnn(4), { prune: 0.6, terms: 3 }),
  // Convolutions become code under `auto`: these two keep the packed streams (paged, offset table) tested.
  () => compileCase('wide', wide(6), {}, 'data'),
  () => compileCase('geomdata', geometryCnn(3), {}, 'data'),
  // Every layer as code, Gemm included.
  () => compileCase('tinycode', tinyCnn(2), {}, 'code'),
  // K = 1 with termless (pruned) weights: dense streams mark them with an unused field value.
  () => compileCase('k1data', geometryCnn(5), { terms: 1, prune: 0.3 }, 'data'),
  // Per-channel activation fracs and a per-channel ReLU6 clamp, in both weight forms.
  () => compileCase('chcode', channelCnn(9), {}, 'code'),
  () => compileCase('chdata', channelCnn(9), {}, 'data'),
  () => compileCase('chpk', channelCnn(9), {}, 'packed'),
  // Huffman-coded weights decoded per channel: grouped/padded convs and Gemm, wide layers, int16, K = 1 and 3.
  () => compileCase('geompk', geometryCnn(3), {}, 'packed'),
  () => compileCase('widepk', wide(6), {}, 'packed'),
  () => compileCase('geom16pk', geometryCnn(8), { actBits: 16 }, 'packed'),
  () => compileCase('k1pk', geometryCnn(5), { terms: 1, prune: 0.3 }, 'packed'),
  () => compileCase('prunedpk', tinyCnn(4), { prune: 0.6, terms: 3 }, 'packed'),
  () => compileCase('onedpk', conv1d(5), { avgTerms: 1.5 }, 'packed'),
  // Byte lists over im2col windows: grouped/strided/dilated/padded and depthwise convs, paged (D > 128) wide
  // layers, int16 activations, K = 1 with pruned weights, K = 3, 1-D, per-channel clamps and gains.
  () => compileCase('geomls', geometryCnn(3), {}, 'list'),
  () => compileCase('widels', wide(6), {}, 'list'),
  () => compileCase('geom16ls', geometryCnn(8), { actBits: 16 }, 'list'),
  () => compileCase('k1ls', geometryCnn(5), { terms: 1, prune: 0.3 }, 'list'),
  () => compileCase('prunedls', tinyCnn(4), { prune: 0.6, terms: 3 }, 'list'),
  () => compileCase('onedls', conv1d(5), { avgTerms: 1.5 }, 'list'),
  () => compileCase('chls', channelCnn(9), {}, 'list'),
  // ShiftAddNet pairs (ai.shiftaddc ShiftConv -> AdderConv), int8 and int16 activations.
  () => compileCase('shiftadd', shiftAddCnn(12)),
  () => compileCase('shiftadd16', shiftAddCnn(13), { actBits: 16 }),
  // Pair mode (--mode shiftadd --pair-all): the stem and conv2 become shift conv -> 1x1 adder conv pairs.
  () => compileCase('pairmode', tinyCnn(1), { mode: 'shiftadd', pairAll: true }),
];

