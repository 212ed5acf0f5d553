// A small float CNN and its int8 quantisations as onnxruntime writes them: QDQ (Q/DQ pairs) and QOperator (QLinearConv).
import { runGraph } from '../../src/ir/interp-float.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { modelGraph, type ModelSpec, type NodeSpec, type TensorSpec } from './onnx-builder.js';
import { mulberry32 } from './prng.js';

type Init = TensorSpec & { name: string };

/** Float weights of x [1,1,8,8] -> conv(4) -> relu -> maxpool -> conv(6) -> relu -> GAP -> flatten -> Gemm(3). */
export function floatWeights(seed = 5): { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array; wf: Float32Array; bf: Float32Array } {
  const r = mulberry32(seed);
  const f = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  return { w1: f(36, 0.6), b1: f(4, 0.1), w2: f(216, 0.3), b2: f(6, 0.1), wf: f(18, 0.8), bf: f(3, 0.1) };
}

const X = { name: 'x', shape: [1, 1, 8, 8] };
const conv = { pads: [1, 1, 1, 1] };

export function floatSpec(w = floatWeights()): ModelSpec {
  return {
    inputs: [X],
    initializers: [
      { name: 'w1', dims: [4, 1, 3, 3], data: w.w1 }, { name: 'b1', dims: [4], data: w.b1 },
      { name: 'w2', dims: [6, 4, 3, 3], data: w.w2 }, { name: 'b2', dims: [6], data: w.b2 },
      { name: 'wf', dims: [3, 6], data: w.wf }, { name: 'bf', dims: [3], data: w.bf },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: conv, name: 'conv1' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
      { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: conv, name: 'conv2' },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'], name: 'relu2' },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flat' },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** Largest |value| of each named activation of the float model on `calib` (what a static quantiser measures). */
function ranges(spec: ModelSpec, calib: Tensor): Map<string, number> {
  const g = modelGraph(spec);
  const out = new Map<string, number>([['x', Math.max(...Array.from(calib.data as Float32Array, Math.abs))]]);
  runGraph(g, [calib], (id, t) => {
    const name = g.values[id]!.name;
    let m = out.get(name) ?? 0;
    for (const v of t.data as Float32Array) m = Math.max(m, Math.abs(v));
    out.set(name, m);
  });
  return out;
}

/** Symmetric per-output-channel int8 codes of a weight with M rows, and their scales. */
function perChannel(w: Float32Array, M: number): { q: number[]; s: number[] } {
  const D = w.length / M;
  const s = Array.from({ length: M }, (_, m) => Math.max(...Array.from(w.subarray(m * D, (m + 1) * D), Math.abs)) / 127);
  return { q: Array.from(w, (v, i) => Math.round(v / s[Math.floor(i / D)]!)), s: s.map(Math.fround) };
}

interface Quantised { inits: Init[]; xs: number; a1: number; a2: number; ys: number; w1: { q: number[]; s: number[] }; w2: { q: number[]; s: number[] } }

/** The quantisation onnxruntime's static quantiser would pick: int8 input (zero 0), uint8 after each ReLU, int8 weights. */
function quantise(w: ReturnType<typeof floatWeights>, calib: Tensor): Quantised {
  const r = ranges(floatSpec(w), calib);
  const xs = Math.fround(r.get('x')! / 127);
  const a1 = Math.fround(r.get('r1')! / 255);
  const a2 = Math.fround(r.get('r2')! / 255);
  const ys = Math.fround(r.get('y')! / 127);
  const w1 = perChannel(w.w1, 4);
  const w2 = perChannel(w.w2, 6);
  const bias = (b: Float32Array, sx: number, sw: number[]) => Array.from(b, (v, m) => Math.round(v / (sx * sw[m]!)));
  const inits: Init[] = [
    { name: 'xs', dims: [], data: [xs] }, { name: 'xz', dims: [], data: [0], dtype: 'int8' }, { name: 'xu', dims: [], data: [128], dtype: 'uint8' },
    { name: 'a1s', dims: [], data: [a1] }, { name: 'a1z', dims: [], data: [0], dtype: 'uint8' },
    { name: 'a2s', dims: [], data: [a2] }, { name: 'a2z', dims: [], data: [0], dtype: 'uint8' },
    { name: 'w1q', dims: [4, 1, 3, 3], data: w1.q, dtype: 'int8' }, { name: 'w1s', dims: [4], data: w1.s }, { name: 'w1z', dims: [4], data: [0, 0, 0, 0], dtype: 'int8' },
    { name: 'w2q', dims: [6, 4, 3, 3], data: w2.q, dtype: 'int8' }, { name: 'w2s', dims: [6], data: w2.s }, { name: 'w2z', dims: [6], data: new Array(6).fill(0), dtype: 'int8' },
    { name: 'b1q', dims: [4], data: bias(w.b1, xs, w1.s), dtype: 'int32' }, { name: 'b2q', dims: [6], data: bias(w.b2, a1, w2.s), dtype: 'int32' },
    { name: 'wf', dims: [3, 6], data: w.wf }, { name: 'bf', dims: [3], data: w.bf },
    { name: 'ys', dims: [], data: [ys] }, { name: 'yz', dims: [], data: [0], dtype: 'int8' },
  ];
  return { inits, xs, a1, a2, ys, w1, w2 };
}

const tail = (from: string, quantOut = false): NodeSpec[] => [
  { op: 'GlobalAveragePool', inputs: [from], outputs: ['g'], name: 'gap' },
  { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flat' },
  { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: [quantOut ? 'yf' : 'y'], attrs: { transB: 1 }, name: 'fc' },
  // onnxruntime also quantises a model output when asked: an int8 range on the logits.
  ...(quantOut ? [{ op: 'QuantizeLinear', inputs: ['yf', 'ys', 'yz'], outputs: ['yq'], name: 'q_y' }, { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'], name: 'dq_y' }] : []),
];

/** QDQ format: every int8 tensor between a QuantizeLinear and a DequantizeLinear, float ops in between. */
export function qdqSpec(w: ReturnType<typeof floatWeights>, calib: Tensor, quantOut = false): { spec: ModelSpec; q: Quantised } {
  const q = quantise(w, calib);
  const biasScale = (name: string, sx: number, sw: number[]): Init => ({ name, dims: [sw.length], data: sw.map((s) => Math.fround(sx * s)) });
  const inits = [...q.inits, biasScale('b1s', q.xs, q.w1.s), biasScale('b2s', q.a1, q.w2.s)];
  const dq = (i: string, s: string, z: string | undefined, o: string, axis?: number): NodeSpec => ({ op: 'DequantizeLinear', inputs: z ? [i, s, z] : [i, s], outputs: [o], ...(axis !== undefined ? { attrs: { axis } } : {}), name: `dq_${o}` });
  const qn = (i: string, s: string, z: string, o: string): NodeSpec => ({ op: 'QuantizeLinear', inputs: [i, s, z], outputs: [o], name: `q_${o}` });
  return {
    q,
    spec: {
      inputs: [X],
      initializers: inits,
      nodes: [
        qn('x', 'xs', 'xz', 'xq'), dq('xq', 'xs', 'xz', 'xd'),
        dq('w1q', 'w1s', 'w1z', 'w1', 0), dq('b1q', 'b1s', undefined, 'b1', 0),
        { op: 'Conv', inputs: ['xd', 'w1', 'b1'], outputs: ['c1'], attrs: conv, name: 'conv1' },
        { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
        qn('r1', 'a1s', 'a1z', 'r1q'), dq('r1q', 'a1s', 'a1z', 'r1d'),
        { op: 'MaxPool', inputs: ['r1d'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
        dq('w2q', 'w2s', 'w2z', 'w2', 0), dq('b2q', 'b2s', undefined, 'b2', 0),
        { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: conv, name: 'conv2' },
        { op: 'Relu', inputs: ['c2'], outputs: ['r2'], name: 'relu2' },
        qn('r2', 'a2s', 'a2z', 'r2q'), dq('r2q', 'a2s', 'a2z', 'r2d'),
        ...tail('r2d', quantOut),
      ],
      outputs: ['y'],
    },
  };
}

/**
 * QOperator format: QLinearConv on uint8 tensors (onnxruntime's kernel wants x and y of one type: the input is
 * uint8 with zero 128), ReLU folded into the uint8 output range (zero 0), MaxPool on uint8.
 */
export function qopSpec(w: ReturnType<typeof floatWeights>, calib: Tensor): { spec: ModelSpec; q: Quantised } {
  const q = quantise(w, calib);
  return {
    q,
    spec: {
      inputs: [X],
      initializers: q.inits,
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xu'], outputs: ['xq'], name: 'q_x' },
        { op: 'QLinearConv', inputs: ['xq', 'xs', 'xu', 'w1q', 'w1s', 'w1z', 'a1s', 'a1z', 'b1q'], outputs: ['r1q'], attrs: conv, name: 'conv1' },
        { op: 'MaxPool', inputs: ['r1q'], outputs: ['p1q'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
        { op: 'QLinearConv', inputs: ['p1q', 'a1s', 'a1z', 'w2q', 'w2s', 'w2z', 'a2s', 'a2z', 'b2q'], outputs: ['r2q'], attrs: conv, name: 'conv2' },
        { op: 'DequantizeLinear', inputs: ['r2q', 'a2s', 'a2z'], outputs: ['r2d'], name: 'dq_r2' },
        ...tail('r2d'),
      ],
      outputs: ['y'],
    },
  };
}
