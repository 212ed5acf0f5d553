// Pooling ops (MaxPool, AveragePool, global pools): kernels vs hand/naive numbers, importer geometry and opset forms.
import { describe, expect, it } from 'vitest';
import { floatTensor, type Tensor } from '../src/ir/tensor.js';
import { modelGraph, runModel, type ModelSpec } from './helpers/onnx-builder.js';
import { close, expectDiag, rand, run1 } from './helpers/ops.js';

const arange = (shape: number[]) => floatTensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));

/** Independent pooling reference: pads explicitly, then scans each window. */
function naivePool(x: Tensor, k: number[], s: number[], pads: number[], d: number[], outHW: number[], max: boolean, includePad: boolean): number[] {
  const [N, C, H, W] = x.shape as number[];
  const out: number[] = [];
  for (let nc = 0; nc < N! * C!; nc++) for (let oh = 0; oh < outHW[0]!; oh++) for (let ow = 0; ow < outHW[1]!; ow++) {
    let best = -Infinity; let sum = 0; let cnt = 0; let cntPad = 0;
    for (let i = 0; i < k[0]!; i++) for (let j = 0; j < k[1]!; j++) {
      const h = oh * s[0]! - pads[0]! + i * d[0]!;
      const w = ow * s[1]! - pads[1]! + j * d[1]!;
      if (h >= -pads[0]! && h < H! + pads[2]! && w >= -pads[1]! && w < W! + pads[3]!) cntPad++;
      if (h < 0 || h >= H! || w < 0 || w >= W!) continue;
      const v = x.data[(nc * H! + h) * W! + w]!;
      best = Math.max(best, v); sum += v; cnt++;
    }
    out.push(max ? best : sum / (includePad ? cntPad : cnt));
  }
  return out;
}

describe('MaxPool / AveragePool', () => {
  const geo = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false };
  it('2x2 stride 2 by hand', () => {
    const x = arange([1, 1, 4, 4]);
    const mp = run1({ kind: 'MaxPool', attrs: geo }, x);
    expect(mp.shape).toEqual([1, 1, 2, 2]);
    close(mp, [5, 7, 13, 15]);
    close(run1({ kind: 'AveragePool', attrs: { ...geo, countIncludePad: false } }, x), [2.5, 4.5, 10.5, 12.5]);
  });
  it('pads, strides, dilations against the naive reference', () => {
    const x = rand([2, 3, 7, 6], 7);
    const a = { kernel: [3, 2], strides: [2, 1], pads: [1, 0, 2, 1], dilations: [2, 1], ceilMode: false };
    const mp = run1({ kind: 'MaxPool', attrs: a }, x);
    // H: (7 + 3 - 5) / 2 + 1 = 3 (floor); W: (6 + 1 - 2) / 1 + 1 = 6
    expect(mp.shape).toEqual([2, 3, 3, 6]);
    close(mp, naivePool(x, a.kernel, a.strides, a.pads, a.dilations, [3, 6], true, false));
    const a1 = { ...a, dilations: [1, 1] };
    for (const cip of [false, true]) {
      const ap = run1({ kind: 'AveragePool', attrs: { ...a1, countIncludePad: cip } }, x);
      close(ap, naivePool(x, a1.kernel, a1.strides, a1.pads, a1.dilations, [ap.shape[2]!, ap.shape[3]!], false, cip));
    }
  });
  it('count_include_pad by hand', () => {
    const x = floatTensor([1, 1, 1, 2], [2, 4]);
    const a = { kernel: [1, 3], strides: [1, 1], pads: [0, 1, 0, 1], dilations: [1, 1], ceilMode: false };
    close(run1({ kind: 'AveragePool', attrs: { ...a, countIncludePad: false } }, x), [3, 3]);
    close(run1({ kind: 'AveragePool', attrs: { ...a, countIncludePad: true } }, x), [2, 2]);
  });
  it('ceil_mode adds a partial window but drops one starting in the padding', () => {
    const x = arange([1, 1, 1, 5]);
    const a = { kernel: [2], strides: [2], pads: [0, 0], dilations: [1], ceilMode: true };
    const y = run1({ kind: 'MaxPool', attrs: a }, floatTensor([1, 1, 5], x.data));
    expect(y.shape).toEqual([1, 1, 3]);
    close(y, [1, 3, 4]);
    // in=4, k=2, s=2, pad end 1: ceil gives 3 windows but the 3rd would start at 4 (in the padding) -> 2.
    const z = run1({ kind: 'AveragePool', attrs: { ...a, pads: [0, 1], countIncludePad: true } }, floatTensor([1, 1, 4], [1, 2, 3, 4]));
    close(z, [1.5, 3.5]);
    // Partial ceil window: the overhang beyond the declared padding never counts.
    const w = run1({ kind: 'AveragePool', attrs: { ...a, countIncludePad: true } }, floatTensor([1, 1, 5], [1, 2, 3, 4, 5]));
    close(w, [1.5, 3.5, 5]);
  });
  const poolSpec = (op: string, attrs: ModelSpec['nodes'][number]['attrs'], shape = [1, 1, 3, 3], outs = ['y'], opset = 13): ModelSpec => ({
    opset, inputs: [{ name: 'x', shape }], nodes: [{ op, inputs: ['x'], outputs: outs, attrs }], outputs: [outs[0]!],
  });
  it('imports auto_pad SAME_UPPER and 1-D pools', () => {
    const y = runModel(poolSpec('MaxPool', { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' }), [arange([1, 1, 3, 3])])[0]!;
    expect(y.shape).toEqual([1, 1, 3, 3]);
    close(y, [4, 5, 5, 7, 8, 8, 7, 8, 8]);
    const g = modelGraph(poolSpec('AveragePool', { kernel_shape: [3], strides: [2], pads: [1, 1], count_include_pad: 1, ceil_mode: 1 }, [1, 2, 6]));
    expect(g.nodes[0]!.op).toEqual({ kind: 'AveragePool', attrs: { kernel: [3], strides: [2], pads: [1, 1], dilations: [1], ceilMode: true, countIncludePad: true } });
    const z = runModel(poolSpec('AveragePool', { kernel_shape: [3], strides: [2], pads: [1, 1], count_include_pad: 1 }, [1, 1, 6]), [arange([1, 1, 6])])[0]!;
    close(z, [1 / 3, 2, 4]);
  });
  it('MaxPool Indices output is unsupported only when used', () => {
    const spec = poolSpec('MaxPool', { kernel_shape: [2, 2] }, [1, 1, 3, 3], ['y', 'idx']);
    expect(modelGraph(spec).nodes.length).toBe(1);
    expectDiag(() => modelGraph({ ...spec, outputs: ['y', 'idx'] }), 'SAC005');
  });
  it('global pools', () => {
    const x = floatTensor([1, 2, 2, 2], [1, 2, 3, 6, -1, -2, -3, -4]);
    const ga = runModel(poolSpec('GlobalAveragePool', {}, [1, 2, 2, 2]), [x])[0]!;
    expect(ga.shape).toEqual([1, 2, 1, 1]);
    close(ga, [3, -2.5]);
    close(runModel(poolSpec('GlobalMaxPool', {}, [1, 2, 2, 2]), [x])[0]!, [6, -1]);
  });
});
