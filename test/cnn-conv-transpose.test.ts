// ConvTranspose imported as zero insertion + padding + a flipped-kernel Conv: against a direct scatter, then shift-add.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../src/ir/interp-float.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { randn } from './backend-c-models.js';
import { agreement, compileModel, expectCBitExact, samples } from './helpers/coverage.js';
import { modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

interface CT { strides: number[]; pads: number[]; dilations: number[]; outPad: number[]; group: number }

/** ConvTranspose by its definition: every input element scatters x * W into the output (2-D, NCHW). */
function scatter(x: Tensor, w: Tensor, b: readonly number[] | undefined, a: CT): Tensor {
  const [N, Cin, H, W] = x.shape as [number, number, number, number];
  const [, Cog, KH, KW] = w.shape as [number, number, number, number];
  const Cig = Cin / a.group;
  const [sh, sw] = a.strides as [number, number];
  const [dh, dw] = a.dilations as [number, number];
  const OH = (H - 1) * sh + (KH - 1) * dh + 1 - a.pads[0]! - a.pads[2]! + a.outPad[0]!;
  const OW = (W - 1) * sw + (KW - 1) * dw + 1 - a.pads[1]! - a.pads[3]! + a.outPad[1]!;
  const M = Cog * a.group;
  const y = new Float64Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let i = 0; i < OH * OW; i++) y[(n * M + m) * OH * OW + i] = b ? b[m]! : 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < Cin; c++) for (let h = 0; h < H; h++) for (let v = 0; v < W; v++) {
    const g = Math.floor(c / Cig);
    const xv = x.data[((n * Cin + c) * H + h) * W + v]!;
    for (let o = 0; o < Cog; o++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const oh = h * sh - a.pads[0]! + kh * dh;
      const ow = v * sw - a.pads[1]! + kw * dw;
      if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
      y[((n * M + g * Cog + o) * OH + oh) * OW + ow] += xv * w.data[((c * Cog + o) * KH + kh) * KW + kw]!;
    }
  }
  return tensor('float32', [N, M, OH, OW], Float32Array.from(y));
}

function ctModel(seed: number, xShape: number[], wShape: number[], a: CT, bias: boolean): { spec: ModelSpec; w: Tensor; b?: number[] } {
  const rng = mulberry32(seed);
  const wd = randn(rng, numel(wShape), 0.5);
  const bd = bias ? randn(rng, wShape[1]! * a.group, 0.2) : undefined;
  return {
    w: tensor('float32', wShape, Float32Array.from(wd)),
    ...(bd ? { b: bd } : {}),
    spec: {
      inputs: [{ name: 'x', shape: xShape }],
      initializers: [{ name: 'w', dims: wShape, data: wd }, ...(bd ? [{ name: 'b', dims: [bd.length], data: bd }] : [])],
      nodes: [{ op: 'ConvTranspose', inputs: bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'], name: 'up',
        attrs: { strides: a.strides, pads: a.pads, dilations: a.dilations, output_padding: a.outPad, group: a.group } }],
      outputs: ['y'],
    },
  };
}

const CASES: [string, number[], number[], CT, boolean][] = [
  ['stride 2, k 2 (UNet up)', [1, 3, 4, 4], [3, 2, 2, 2], { strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], outPad: [0, 0], group: 1 }, true],
  ['stride 2, k 3, pads 1, output_padding 1', [1, 2, 3, 5], [2, 3, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], outPad: [1, 1], group: 1 }, false],
  ['stride (3, 1), dilation 2, asymmetric pads, 2 groups', [2, 4, 3, 4], [4, 3, 2, 3], { strides: [3, 1], pads: [2, 0, 1, 3], dilations: [2, 2], outPad: [1, 0], group: 2 }, true],
];

describe('ConvTranspose', () => {
  for (const [label, xs, ws, a, bias] of CASES) {
    it(`${label}: the imported graph equals the scatter definition`, () => {
      const m = ctModel(3, xs, ws, a, bias);
      const g = modelGraph(m.spec);
      const x = tensor('float32', xs, Float32Array.from(randn(mulberry32(4), numel(xs))));
      const got = runGraph(g, [x])[0]!;
      const want = scatter(x, m.w, m.b, a);
      expect(got.shape).toEqual(want.shape);
      want.data.forEach((v, i) => expect(got.data[i]!).toBeCloseTo(v, 4));
    });
  }

  it('a decoder (Conv -> ReLU -> ConvTranspose s2 -> ReLU -> Conv -> GAP -> Gemm) compiles: float agreement, C bit-exact, multiply-free', () => {
    const rng = mulberry32(9);
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 2, 6, 6] }],
      initializers: [
        { name: 'w1', dims: [4, 2, 3, 3], data: randn(rng, 72, 0.4) }, { name: 'wt', dims: [4, 3, 2, 2], data: randn(rng, 48, 0.5) },
        { name: 'bt', dims: [3], data: randn(rng, 3, 0.1) }, { name: 'w3', dims: [5, 3, 3, 3], data: randn(rng, 135, 0.3) },
        { name: 'wf', dims: [4, 5], data: randn(rng, 20, 0.5) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, name: 'enc' },
        { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
        { op: 'ConvTranspose', inputs: ['r1', 'wt', 'bt'], outputs: ['u'], attrs: { strides: [2, 2] }, name: 'up' },
        { op: 'Relu', inputs: ['u'], outputs: ['r2'], name: 'relu2' },
        { op: 'Conv', inputs: ['r2', 'w3'], outputs: ['c3'], attrs: { pads: [1, 1, 1, 1] }, name: 'dec' },
        { op: 'GlobalAveragePool', inputs: ['c3'], outputs: ['g'], name: 'gap' },
        { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
        { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
      ],
      outputs: ['y'],
    };
    const g = modelGraph(spec);
    const res = compileModel(g, samples(g, 32, 2).stacked);
    expect(res.graph.nodes.filter((n) => n.op.kind === 'ShiftConv')).toHaveLength(3);
    const test = samples(g, 48, 3).each;
    const a = agreement(g, res, test);
    expect(a.sqnrDb).toBeGreaterThan(25);
    expect(a.top1).toBeGreaterThanOrEqual(0.9);
    const c = expectCBitExact(res, 'conv_transpose', test.slice(0, 8));
    expect(c.equal).toBe(true);
    expect(c.stars).toEqual([]);
  });
});
