// CNN ops (Gemm, MatMul, BatchNormalization, LRN, Softmax): kernels vs hand/naive numbers, importers per opset.
import { describe, expect, it } from 'vitest';
import { inferOp, opDef } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import { parseGraph } from '../src/ir/parser.js';
import { printGraph } from '../src/ir/printer.js';
import type { Op } from '../src/ir/registry.js';
import { verifyGraph } from '../src/ir/verify.js';
import { floatTensor, type Tensor } from '../src/ir/tensor.js';
import { float, modelGraph, runModel, type ModelSpec } from './helpers/onnx-builder.js';
import { close, expectDiag, rand, run1 } from './helpers/ops.js';

/** Naive C[m,n] = sum_k A[m,k] B[k,n] on row-major arrays. */
function naiveMM(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[m * K + k]! * b[k * N + n]!;
    out.push(s);
  }
  return out;
}

describe('Gemm', () => {
  const A = floatTensor([2, 3], [1, 2, 3, 4, 5, 6]);
  const B = floatTensor([3, 2], [1, 0, 0, 1, 1, 1]);
  it('alpha/beta with a broadcast bias row', () => {
    const y = run1({ kind: 'Gemm', attrs: { transA: false, transB: false, alpha: 2, beta: 0.5 } }, A, B, floatTensor([2], [10, 20]));
    // A@B = [[4,5],[10,11]]
    expect(y.shape).toEqual([2, 2]);
    close(y, [8 + 5, 10 + 10, 20 + 5, 22 + 10]);
  });
  it('transA/transB against a naive product', () => {
    const At = rand([4, 3], 1); // op(A) = At^T: [3,4]
    const Bt = rand([5, 4], 2); // op(B) = Bt^T: [4,5]
    const C = rand([3, 1], 3);
    const y = run1({ kind: 'Gemm', attrs: { transA: true, transB: true, alpha: 1.5, beta: -1 } }, At, Bt, C);
    const a = Array.from({ length: 12 }, (_, i) => At.data[(i % 4) * 3 + Math.floor(i / 4)]!);
    const b = Array.from({ length: 20 }, (_, i) => Bt.data[(i % 5) * 4 + Math.floor(i / 5)]!);
    const ref = naiveMM(a, b, 3, 4, 5).map((v, i) => 1.5 * v - C.data[Math.floor(i / 5)]!);
    expect(y.shape).toEqual([3, 5]);
    close(y, ref);
    expect(opDef('Gemm').cost!({ transA: true, transB: true, alpha: 1, beta: 1 }, [At, Bt, C], [y])).toEqual({ macs: 60 });
  });
  it('rejects a bias that would grow the result', () => {
    const op: Op = { kind: 'Gemm', attrs: { transA: false, transB: false, alpha: 1, beta: 1 } };
    expectDiag(() => inferOp(op, [A, B, floatTensor([3, 2])], 'g'), 'SAC013');
    expectDiag(() => inferOp(op, [A, B, floatTensor([1, 2, 2])], 'g'), 'SAC013');
  });
  it('imports with attrs, and without C from opset 11', () => {
    const spec = (opset: number, withC: boolean): ModelSpec => ({
      opset,
      inputs: [{ name: 'x', shape: [1, 3] }],
      initializers: [{ name: 'w', dims: [2, 3], data: [1, 0, 1, 0, 1, 1] }, { name: 'c', dims: [2], data: [1, -1] }],
      nodes: [{ op: 'Gemm', inputs: withC ? ['x', 'w', 'c'] : ['x', 'w'], outputs: ['y'], attrs: { transB: 1, alpha: float(2), beta: float(3) } }],
      outputs: ['y'],
    });
    const x = floatTensor([1, 3], [1, 2, 3]);
    close(runModel(spec(7, true), [x])[0]!, [2 * 4 + 3, 2 * 5 - 3]);
    close(runModel(spec(13, false), [x])[0]!, [8, 10]);
    const g = modelGraph(spec(9, true));
    expect(g.nodes.map((n) => n.op)).toEqual([{ kind: 'Gemm', attrs: { transA: false, transB: true, alpha: 2, beta: 3 } }]);
  });
});

describe('MatMul', () => {
  const mm = (a: Tensor, b: Tensor) => run1({ kind: 'MatMul', attrs: {} }, a, b);
  it('2-D', () => close(mm(floatTensor([2, 2], [1, 2, 3, 4]), floatTensor([2, 2], [5, 6, 7, 8])), [19, 22, 43, 50]));
  it('batched with broadcast batch dims against a naive loop', () => {
    const a = rand([2, 1, 2, 3], 4);
    const b = rand([3, 3, 4], 5);
    const y = mm(a, b);
    expect(y.shape).toEqual([2, 3, 2, 4]);
    const ref: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      ref.push(...naiveMM(a.data.subarray(i * 6, i * 6 + 6), b.data.subarray(j * 12, j * 12 + 12), 2, 3, 4));
    }
    close(y, ref);
    expect(opDef('MatMul').cost!({}, [a, b], [y])).toEqual({ macs: 6 * 2 * 3 * 4 });
  });
  it('1-D operands insert and drop a dim', () => {
    const v = floatTensor([2], [1, -1]);
    const m = floatTensor([2, 2], [1, 2, 3, 4]);
    const vm = mm(v, m);
    expect(vm.shape).toEqual([2]);
    close(vm, [-2, -2]);
    const mv = mm(m, v);
    expect(mv.shape).toEqual([2]);
    close(mv, [-1, -1]);
    const vv = mm(v, floatTensor([2], [3, 4]));
    expect(vv.shape).toEqual([]);
    close(vv, [-1]);
    const bv = mm(floatTensor([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), v);
    expect(bv.shape).toEqual([2, 2]);
    close(bv, [-1, -1, -1, -1]);
  });
  it('rejects mismatched inner dims', () => expectDiag(() => mm(floatTensor([2, 3]), floatTensor([2, 3])), 'SAC013'));
});

describe('BatchNormalization', () => {
  const x = floatTensor([1, 2, 2], [1, 2, 3, 4]);
  const p = (v: number[]) => floatTensor([2], v);
  it('per-channel affine', () => {
    const y = run1({ kind: 'BatchNormalization', attrs: { epsilon: 0 } }, x, p([2, 1]), p([1, 0]), p([1, 3]), p([4, 0.25]));
    // c0: 2*(x-1)/2+1 ; c1: (x-3)/0.5
    close(y, [1, 2, 0, 2]);
  });
  const spec = (opset: number, attrs: ModelSpec['nodes'][number]['attrs'], outs = ['y'], pshape = [2]): ModelSpec => {
    const n = pshape.reduce((a, b) => a * b, 1);
    const init = (name: string, v: number) => ({ name, dims: pshape, data: Array.from({ length: n }, (_, i) => v + i) });
    return {
      opset,
      inputs: [{ name: 'x', shape: [1, 2, 2] }],
      initializers: [init('s', 1), init('b', 0.5), init('m', -1), init('v', 3)],
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: outs, attrs }],
      outputs: [outs[0]!],
    };
  };
  it('imports epsilon', () => {
    const y = runModel(spec(9, { epsilon: float(1) }), [x])[0]!;
    close(y, [1, 2, 3, 4].map((v, i) => {
      const c = Math.floor(i / 2);
      return (1 + c) * (v + 1 - c) / Math.sqrt(3 + c + 1) + 0.5 + c;
    }));
  });
  it('opset 7 spatial=0 folds per-activation params into Mul + Add', () => {
    const g = modelGraph(spec(7, { spatial: 0, epsilon: float(0) }, ['y'], [2, 2]));
    expect(g.nodes.map((n) => n.op.kind)).toEqual(['Mul', 'Add']);
    const y = runModel(spec(7, { spatial: 0, epsilon: float(0) }, ['y'], [2, 2]), [x])[0]!;
    close(y, [1, 2, 3, 4].map((v, i) => (1 + i) * (v + 1 - i) / Math.sqrt(3 + i) + 0.5 + i));
  });
  it('rejects training mode and used training outputs', () => {
    expectDiag(() => modelGraph(spec(15, { training_mode: 1 })), 'SAC012');
    const s = spec(9, {}, ['y', 'mean_out']);
    expectDiag(() => modelGraph({ ...s, outputs: ['y', 'mean_out'] }), 'SAC005');
    expect(modelGraph(s).nodes.length).toBe(1); // unused extra outputs are fine
  });
});

describe('LRN', () => {
  /** The spec formula written out directly. */
  function naiveLrn(x: Tensor, size: number, alpha: number, beta: number, bias: number): number[] {
    const [N, C, S] = [x.shape[0]!, x.shape[1]!, x.shape.slice(2).reduce((a, b) => a * b, 1)];
    const out: number[] = [];
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < S; i++) {
      let sq = 0;
      for (let j = c - Math.floor((size - 1) / 2); j <= c + Math.ceil((size - 1) / 2); j++) {
        if (j >= 0 && j < C) sq += x.data[(n * C + j) * S + i]! ** 2;
      }
      out.push(x.data[(n * C + c) * S + i]! / (bias + (alpha / size) * sq) ** beta);
    }
    return out;
  }
  it('even and odd sizes (asymmetric window) match the spec formula', () => {
    const x = rand([2, 5, 2, 2], 9);
    for (const size of [1, 2, 3, 4]) {
      const spec: ModelSpec = {
        opset: 13, inputs: [{ name: 'x', shape: [2, 5, 2, 2] }],
        nodes: [{ op: 'LRN', inputs: ['x'], outputs: ['y'], attrs: { size, alpha: float(0.3), beta: float(0.6), bias: float(2) } }],
        outputs: ['y'],
      };
      close(runModel(spec, [x])[0]!, naiveLrn(x, size, 0.3, 0.6, 2));
    }
  });
  it('size 2 looks one channel ahead, not behind (by hand)', () => {
    const y = run1({ kind: 'LRN', attrs: { size: 2, alpha: 2, beta: 1, bias: 1 } }, floatTensor([1, 3], [1, 2, 3]));
    close(y, [1 / (1 + 5), 2 / (1 + 13), 3 / (1 + 9)]);
  });
});

describe('Softmax / LogSoftmax', () => {
  const spec = (op: string, opset: number, attrs: ModelSpec['nodes'][number]['attrs'] = {}): ModelSpec => ({
    opset, inputs: [{ name: 'x', shape: [2, 3, 2] }], nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs }], outputs: ['y'],
  });
  const x = rand([2, 3, 2], 11);
  /** Softmax over contiguous groups of `g` elements. */
  const groups = (g: number, log: boolean) => {
    const out: number[] = [];
    for (let b = 0; b < x.data.length; b += g) {
      const seg = Array.from(x.data.subarray(b, b + g));
      const s = seg.reduce((a, v) => a + Math.exp(v), 0);
      out.push(...seg.map((v) => (log ? v - Math.log(s) : Math.exp(v) / s)));
    }
    return out;
  };
  it('opset 11 coerces to 2-D at axis 1 (Reshape + op + Reshape)', () => {
    const g = modelGraph(spec('Softmax', 11));
    expect(g.nodes.map((n) => n.op.kind)).toEqual(['Reshape', 'Softmax', 'Reshape']);
    expect(g.values[g.outputs[0]!]!.name).toBe('y');
    close(runModel(spec('Softmax', 11), [x])[0]!, groups(6, false));
    close(runModel(spec('LogSoftmax', 11, { axis: 2 }), [x])[0]!, groups(2, true));
    expect(modelGraph(spec('LogSoftmax', 11, { axis: -1 })).nodes.map((n) => n.op.kind)).toEqual(['LogSoftmax']);
    close(runModel(spec('Softmax', 11, { axis: 0 }), [x])[0]!, groups(12, false));
  });
  it('opset 13 works along one axis (default -1)', () => {
    close(runModel(spec('Softmax', 13), [x])[0]!, groups(2, false));
    const y = runModel(spec('LogSoftmax', 13, { axis: 1 }), [x])[0]!;
    for (let b = 0; b < 2; b++) for (let j = 0; j < 2; j++) {
      const idx = [0, 1, 2].map((c) => b * 6 + c * 2 + j);
      const s = idx.reduce((a, i) => a + Math.exp(x.data[i]!), 0);
      idx.forEach((i) => expect(y.data[i]).toBeCloseTo(x.data[i]! - Math.log(s), 5));
    }
  });
  it('is stable for large inputs', () => {
    close(run1({ kind: 'Softmax', attrs: { axis: 0 } }, floatTensor([2], [1000, 1000])), [0.5, 0.5]);
    close(run1({ kind: 'LogSoftmax', attrs: { axis: 0 } }, floatTensor([2], [-1000, 0])), [-1000, 0]);
  });
});

describe('textual IR', () => {
  it('round-trips boolean, string and list attrs of these ops', () => {
    const i64 = (name: string, data: number[]) => ({ name, dims: [data.length], data, dtype: 'int64' as const });
    const g = modelGraph({
      opset: 13, inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      initializers: [{ name: 'w', dims: [3, 4], data: Array.from({ length: 12 }, (_, i) => i) }, i64('p', [0, 0, 1, 1, 0, 0, 1, 1]), i64('s', [14]), i64('e', [2 ** 63]), i64('ax', [1])],
      nodes: [
        { op: 'Pad', inputs: ['x', 'p'], outputs: ['a'], attrs: { mode: 'reflect' } },
        { op: 'AveragePool', inputs: ['a'], outputs: ['b'], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
        { op: 'Flatten', inputs: ['b'], outputs: ['c'] },
        { op: 'Slice', inputs: ['c', 's', 'e', 'ax'], outputs: ['d'] },
        { op: 'Gemm', inputs: ['d', 'w'], outputs: ['f'], attrs: { transB: 1, alpha: float(0.5) } },
        { op: 'Softmax', inputs: ['f'], outputs: ['g'], attrs: { axis: 0 } },
        { op: 'Cast', inputs: ['g'], outputs: ['y'], attrs: { to: 6 } },
      ],
      outputs: ['y'],
    });
    verifyGraph(g);
    const text = printGraph(g, { elideConstantsOver: Infinity });
    const parsed = parseGraph(text);
    expect(printGraph(parsed, { elideConstantsOver: Infinity })).toBe(text);
    verifyGraph(parsed, 'parseGraph');
    const x = floatTensor([1, 2, 4, 4], Array.from({ length: 32 }, (_, i) => i / 8));
    expect(Array.from(runGraph(parsed, [x])[0]!.data)).toEqual(Array.from(runGraph(g, [x])[0]!.data));
  });
});
