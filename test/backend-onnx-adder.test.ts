// AdderConv's ONNX export (Pad, strided Slice, Sub, Abs, ReduceSum) in onnxruntime against runInteger on random layers.
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/backends/registry.js';
import { runInteger } from '../src/ir/interp-int.js';
import { GraphBuilder, type Graph } from '../src/ir/graph.js';
import { checkAccumulators } from '../src/ir/overflow.js';
import { adderSums } from '../src/ir/ops/adder-common.js';
import type { AdderConvAttrs } from '../src/ir/ops/adder-conv.js';
import { tensor, type DType } from '../src/ir/tensor.js';
import { mulberry32 } from './helpers/prng.js';

interface Case {
  name: string; dtype: DType; C: number; M: number; H: number; W: number; k: number[]; strides: number[]; pads: number[];
  dilations: number[]; group: number; gain: boolean; bits: 8 | 16; relu?: boolean;
  /** Weights in the top half of the range against inputs near the bottom: window sums past 2^24. */
  skew?: boolean;
}

/** A random AdderConv on full-range inputs: weights over the input range, biases and shifts putting outputs near the clamp. */
function adderGraph(c: Case, seed: number, rshift?: readonly number[]): Graph {
  const rnd = mulberry32(seed);
  const lim = c.dtype === 'int16' ? 32768 : 128;
  const b = new GraphBuilder('adder', 13);
  const spatial = c.k.length === 2 ? [c.H, c.W] : [c.W];
  const x = b.addValue('x', { dtype: c.dtype, shape: [1, c.C, ...spatial] }, { quant: { frac: 0 } });
  const D = (c.C / c.group) * c.k.reduce((p, q) => p * q, 1);
  const w = Array.from({ length: c.M * D }, () => (c.skew ? lim / 2 + Math.floor(rnd() * lim / 2) : Math.floor(rnd() * 2 * lim) - lim));
  // Skewed: the bias cancels the expected window sum (x ~ -lim + 32), so acc stays small and its last bits reach the output.
  const bias = Array.from({ length: c.M }, (_, m) => (c.skew ? Math.round(w.slice(m * D, (m + 1) * D).reduce((p, q) => p + q, 0) + D * (lim - 31.5)) : Math.floor(rnd() * D * lim)));
  const gain = Array.from({ length: c.M * 3 }, (_, i) => (i % 3 === 0 ? 1 : Math.floor(rnd() * 9) - 4) * (rnd() < 0.2 ? -1 : 1));
  const r = rshift ?? Array.from({ length: c.M }, () => (c.skew ? 0 : Math.ceil(Math.log2(D * lim)) - c.bits + 2) + Math.floor(rnd() * 3));
  const ins = [x, b.addConst('weights', tensor(c.dtype, [c.M, c.C / c.group, ...c.k], w)), b.addConst('bias', tensor('int32', [c.M], bias)),
    b.addConst('rshift', tensor('int32', [c.M], r)), ...(c.gain ? [b.addConst('gain', tensor('int8', [c.M, 3], gain))] : [])];
  const hi = 2 ** (c.bits - 1) - 1;
  const attrs = { kernel: c.k, strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group, bits: c.bits, actMin: c.relu ? 0 : -hi - 1, actMax: hi };
  const y = b.addNode('adder', { kind: 'AdderConv', attrs } as never, ins, undefined, undefined, [{ frac: 0 }])[0]!;
  return b.finish([x], [y]);
}

const CASES: Case[] = [
  { name: '1x1 (pair mode)', dtype: 'int8', C: 6, M: 5, H: 7, W: 9, k: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, gain: true, bits: 8 },
  { name: '1x1 stride 2', dtype: 'int8', C: 4, M: 3, H: 8, W: 7, k: [1, 1], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, gain: false, bits: 8, relu: true },
  { name: '3x3 pad 1', dtype: 'int8', C: 3, M: 4, H: 9, W: 8, k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, gain: true, bits: 8 },
  { name: '3x3 stride 2 asymmetric pads groups 2', dtype: 'int8', C: 4, M: 6, H: 11, W: 10, k: [3, 3], strides: [2, 2], pads: [1, 0, 2, 1], dilations: [1, 1], group: 2, gain: true, bits: 8 },
  { name: '3x2 dilated depthwise', dtype: 'int8', C: 4, M: 4, H: 10, W: 9, k: [3, 2], strides: [1, 2], pads: [2, 1, 2, 1], dilations: [2, 2], group: 4, gain: true, bits: 8, relu: true },
  { name: '1-d kernel 3', dtype: 'int8', C: 3, M: 2, H: 1, W: 12, k: [3], strides: [2], pads: [1, 1], dilations: [1], group: 1, gain: true, bits: 8 },
  { name: 'int16 3x3 pad 1 (plain)', dtype: 'int16', C: 2, M: 3, H: 8, W: 8, k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, gain: true, bits: 16 },
  { name: 'int16 3x3 32 channels (accumulator bound past 2^24, split)', dtype: 'int16', C: 32, M: 4, H: 6, W: 6, k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, gain: true, bits: 16 },
  { name: 'int16 3x3 48 channels (window sums past 2^24, split)', dtype: 'int16', C: 48, M: 3, H: 5, W: 5, k: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, gain: true, bits: 16, skew: true },
];

async function runExport(g: Graph, xs: readonly number[], shape: readonly number[]): Promise<{ got: number[]; summary: string; ops: string[] }> {
  const e = emit(g, 'onnx', {}, { model: 'adder.onnx' });
  const session = await ort.InferenceSession.create(e.files[0]!.data as Uint8Array);
  const r = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [...shape]) });
  const ops = onnx.ModelProto.decode(e.files[0]!.data as Uint8Array).graph!.node!.map((n) => n.opType!);
  return { got: Array.from(r[session.outputNames[0]!]!.data as Float32Array), summary: e.summary, ops };
}

describe('ONNX export of AdderConv', () => {
  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: every output equals runInteger`, async () => {
      const g = adderGraph(c, 100 + i);
      checkAccumulators(g);
      const xv = g.values[g.inputs[0]!]!;
      const lim = c.dtype === 'int16' ? 32768 : 128;
      const rnd = mulberry32(200 + i);
      const n = xv.type.shape.reduce((p, q) => p * q, 1);
      // Full range including both extremes, so |x - w| reaches 2^bits - 1.
      const xs = Array.from({ length: n }, (_, j) => (c.skew ? -lim + Math.floor(rnd() * 64) : j === 0 ? -lim : j === 1 ? lim - 1 : Math.floor(rnd() * 2 * lim) - lim));
      if (c.skew) {
        // The spec's own window sums: past 2^24, where a single float32 ReduceSum could not hold them.
        const node = g.nodes[0]!;
        const sums = adderSums(node.op.attrs as AdderConvAttrs, tensor(c.dtype, xv.type.shape, xs), g.values[node.inputs[1]!]!.data!, g.values[node.outputs[0]!]!.type.shape);
        expect(Math.max(...sums)).toBeGreaterThan(2 ** 24);
      }
      const want = Array.from(runInteger(g, [tensor(c.dtype, xv.type.shape, xs)])[0]!.data);
      const { got, summary, ops } = await runExport(g, xs, xv.type.shape);
      expect(got).toEqual(want);
      expect(summary).toContain('every accumulator exact in float32');
      // Standard ops only, multiply-free in the distance itself; the outputs are not all saturated (the test can fail).
      expect(ops).toContain('Abs');
      expect(ops).toContain('ReduceSum');
      const hi = 2 ** (c.bits - 1) - 1;
      expect(want.filter((v) => v !== hi && v !== -hi - 1 && v !== 0).length).toBeGreaterThan(want.length / 8);
      if (c.name.includes('split')) expect(ops.filter((o) => o === 'ReduceSum')).toHaveLength(2);
    });
  }
});
