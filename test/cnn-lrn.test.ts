// LRN (AlexNet, ZFNet, Inception v1) lowered to QLrn: tables for the squares, the gain and the exp; against float.
import { describe, expect, it } from 'vitest';
import type { CompileResult } from '../src/compile.js';
import { runOp } from '../src/ir/graph.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { lrnBucket, lrnIndex, lrnIndexCount } from '../src/ir/ops/qlrn.js';
import { randn } from './backend-c-models.js';
import { agreement, compileModel, expectCBitExact, samples } from './helpers/coverage.js';
import { float, modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

/** Conv -> ReLU -> LRN -> MaxPool -> Conv -> ReLU -> LRN (even size) -> GAP -> Gemm; alpha large enough to matter. */
function lrnNet(seed: number, alpha: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [8, 3, 3, 3], data: randn(rng, 216, 0.5) }, { name: 'w2', dims: [6, 8, 3, 3], data: randn(rng, 432, 0.3) },
      { name: 'wf', dims: [5, 6], data: randn(rng, 30, 0.5) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
      { op: 'LRN', inputs: ['r1'], outputs: ['n1'], attrs: { size: 5, alpha: float(alpha), beta: float(0.75), bias: float(1) }, name: 'lrn1' },
      { op: 'MaxPool', inputs: ['n1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
      { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv2' },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'], name: 'relu2' },
      { op: 'LRN', inputs: ['r2'], outputs: ['n2'], attrs: { size: 4, alpha: float(alpha), beta: float(0.5), bias: float(2) }, name: 'lrn2' },
      { op: 'GlobalAveragePool', inputs: ['n2'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

/** Per QLrn node: |integer - round(float LRN of the dequantised input)| in output LSBs; `moved`: share the LRN changed by >= 1 LSB. */
function lrnErrors(res: CompileResult, xs: readonly Tensor[]): { max: number; mean: number; moved: number } {
  const g = res.graph;
  const v = g.values[g.inputs[0]!]!;
  let max = 0;
  let sum = 0;
  let moved = 0;
  let count = 0;
  for (const x of xs) {
    const seen = new Map<number, Tensor>();
    runInteger(g, [quantizeInput(x, v.quant!.frac, 8)], (id, t) => seen.set(id, t));
    for (const n of g.nodes) {
      if (n.op.kind !== 'QLrn') continue;
      const q = seen.get(n.inputs[0]!)!;
      const fin = g.values[n.inputs[0]!]!.quant!.frac;
      const fout = g.values[n.outputs[0]!]!.quant!.frac;
      const { size, alpha, beta, bias } = lrnAttrs.get(n.name)!;
      const xf = tensor('float32', q.shape, Float32Array.from(q.data, (d) => d * 2 ** -fin));
      const want = runOp({ kind: 'LRN', attrs: { size, alpha, beta, bias } }, [xf])[0]!;
      const got = seen.get(n.outputs[0]!)!;
      for (let i = 0; i < got.data.length; i++) {
        const w = Math.max(-128, Math.min(127, Math.round(want.data[i]! * 2 ** fout)));
        const d = Math.abs(got.data[i]! - w);
        max = Math.max(max, d);
        sum += d;
        if (Math.abs(w - Math.max(-128, Math.min(127, Math.round(xf.data[i]! * 2 ** fout)))) >= 1) moved++;
        count++;
      }
    }
  }
  return { max, mean: sum / count, moved: moved / count };
}

/** The float attributes of the model's LRN nodes by name (the lowered node keeps its name). */
const lrnAttrs = new Map<string, { size: number; alpha: number; beta: number; bias: number }>();

describe('LRN', () => {
  it('the window-sum index is monotonic and its buckets tile every sum exactly', () => {
    for (const mant of [2, 6]) {
      const n = lrnIndexCount(5, mant);
      let next = 0;
      for (let idx = 0; idx < n; idx++) {
        const [lo, hi] = lrnBucket(idx, mant);
        expect(lo, `mant ${mant} idx ${idx}`).toBe(next);
        expect(lrnIndex(lo, mant)).toBe(idx);
        expect(lrnIndex(hi, mant)).toBe(idx);
        // Relative width at most 2^-mant: the gain changes little within a bucket.
        if (hi > lo) expect((hi - lo + 1) / lo).toBeLessThanOrEqual(2 ** -mant);
        next = hi + 1;
      }
      expect(next).toBeGreaterThan(5 * 128 * 128);
    }
  });

  for (const alpha of [1e-4, 2]) {
    it(`alpha ${alpha}: QLrn tracks float LRN; network SQNR and top-1 vs float; C bit-exact; multiply-free`, () => {
      const g = modelGraph(lrnNet(2, alpha));
      for (const n of g.nodes) if (n.op.kind === 'LRN') lrnAttrs.set(n.name, n.op.attrs);
      const res = compileModel(g, samples(g, 32, 3).stacked);
      const kinds = res.graph.nodes.map((n) => n.op.kind);
      expect(kinds.filter((k) => k === 'QLrn')).toHaveLength(2);
      const test = samples(g, 48, 4).each;
      const a = agreement(g, res, test);
      expect(a.sqnrDb).toBeGreaterThan(30);
      expect(a.top1).toBeGreaterThanOrEqual(0.95);
      // The normalisation itself: QLrn vs float LRN on the same (dequantised) integer input, in output LSBs.
      const e = lrnErrors(res, test.slice(0, 8));
      expect(e.max).toBeLessThanOrEqual(1);
      expect(e.mean).toBeLessThan(0.1);
      // At alpha 2 the float LRN moves most activations by more than an LSB, so a table error would show.
      if (alpha > 1) expect(e.moved).toBeGreaterThan(0.3);
      const c = expectCBitExact(res, `lrn_net_${alpha < 1 ? 'a' : 'b'}`, test.slice(0, 8));
      expect(c.equal).toBe(true);
      expect(c.stars).toEqual([]);
    });
  }
});
