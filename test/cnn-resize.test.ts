// Resize nearest / Upsample by integer factors (UNet-style decoders): imported as exact copies, lowered and in C.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../src/ir/interp-float.js';
import { tensor } from '../src/ir/tensor.js';
import { randn } from './backend-c-models.js';
import { agreement, compileModel, expectCBitExact, samples } from './helpers/coverage.js';
import { modelGraph, type ModelSpec, type NodeSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

const resizeNode = (opset: number, input: string, output: string, attrs: NodeSpec['attrs'] = {}): NodeSpec => opset >= 11
  ? { op: 'Resize', inputs: [input, '', 'scales'], outputs: [output], attrs: { mode: 'nearest', ...attrs }, name: 'up' }
  : { op: 'Upsample', inputs: [input, 'scales'], outputs: [output], attrs: { mode: 'nearest' }, name: 'up' };

/** Conv -> ReLU -> MaxPool -> Conv -> ReLU -> upsample x2 -> Concat with the skip -> Conv -> GAP -> Gemm. */
function unet(seed: number, opset: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    opset,
    inputs: [{ name: 'x', shape: [1, 2, 8, 8] }],
    initializers: [
      { name: 'w1', dims: [4, 2, 3, 3], data: randn(rng, 72, 0.4) }, { name: 'w2', dims: [6, 4, 3, 3], data: randn(rng, 216, 0.3) },
      { name: 'w3', dims: [5, 10, 3, 3], data: randn(rng, 450, 0.2) }, { name: 'wf', dims: [3, 5], data: randn(rng, 15, 0.5) },
      { name: 'scales', dims: [4], data: [1, 1, 2, 2] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'enc' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'down' },
      { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] }, name: 'mid' },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'], name: 'relu2' },
      resizeNode(opset, 'r2', 'u2', opset >= 11 ? { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } : {}),
      { op: 'Concat', inputs: ['r1', 'u2'], outputs: ['cat'], attrs: { axis: 1 }, name: 'skip' },
      { op: 'Conv', inputs: ['cat', 'w3'], outputs: ['c3'], attrs: { pads: [1, 1, 1, 1] }, name: 'dec' },
      { op: 'GlobalAveragePool', inputs: ['c3'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

describe('Resize nearest / Upsample', () => {
  it('imports as a repeat: y[n, c, h, w] = x[n, c, floor(h / 2), floor(w / 3)] (Resize, half_pixel defaults)', () => {
    const g = modelGraph({
      inputs: [{ name: 'x', shape: [1, 2, 3, 2] }],
      initializers: [{ name: 'scales', dims: [4], data: [1, 1, 2, 3] }],
      nodes: [{ op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['y'], attrs: { mode: 'nearest' }, name: 'up' }],
      outputs: ['y'],
    });
    const x = tensor('float32', [1, 2, 3, 2], Array.from({ length: 12 }, (_, i) => i));
    const y = runGraph(g, [x])[0]!;
    expect(y.shape).toEqual([1, 2, 6, 6]);
    for (let c = 0; c < 2; c++) for (let h = 0; h < 6; h++) for (let w = 0; w < 6; w++) {
      expect(y.data[(c * 6 + h) * 6 + w]).toBe(x.data[(c * 3 + Math.floor(h / 2)) * 2 + Math.floor(w / 3)]);
    }
    expect(g.nodes.map((n) => n.op.kind)).toEqual(['Reshape', 'Concat', 'Concat', 'Reshape']);
  });

  it('refuses linear mode and a non-integer scale, naming the reason', () => {
    const spec = (attrs: NodeSpec['attrs'], scales: number[]): ModelSpec => ({
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], initializers: [{ name: 'scales', dims: [4], data: scales }],
      nodes: [{ op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['y'], attrs, name: 'up' }], outputs: ['y'],
    });
    expect(() => modelGraph(spec({ mode: 'linear' }, [1, 1, 2, 2]))).toThrow(/mode 'linear' is not supported/);
    expect(() => modelGraph(spec({ mode: 'nearest' }, [1, 1, 1.5, 2]))).toThrow(/integer factors only/);
    expect(() => modelGraph(spec({ mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn' }, [1, 1, 2, 2]))).toThrow(/not a plain repeat/);
  });

  for (const opset of [9, 13]) {
    it(`UNet-style model (${opset >= 11 ? 'Resize' : 'Upsample'}, opset ${opset}): float agreement, C bit-exact, multiply-free`, () => {
      const g = modelGraph(unet(8, opset));
      const res = compileModel(g, samples(g, 32, 2).stacked);
      const test = samples(g, 48, 3).each;
      const a = agreement(g, res, test);
      expect(a.sqnrDb).toBeGreaterThan(25);
      expect(a.top1).toBeGreaterThanOrEqual(0.9);
      const c = expectCBitExact(res, `unet_${opset}`, test.slice(0, 8));
      expect(c.equal).toBe(true);
      expect(c.stars).toEqual([]);
    });
  }
});
