// Elementwise/misc ops: kernels on hand-checked numbers, and importer handling of opset differences.
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { ShiftaddcError } from '../src/diagnostics.js';
import { importModel } from '../src/frontend/import.js';
import { inferOp } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import type { Op } from '../src/ir/registry.js';
import { floatTensor, tensor, type Tensor } from '../src/ir/tensor.js';
import { close, run1 } from './helpers/ops.js';

const x = floatTensor([5], [-2, -0.5, 0, 0.5, 3]);

describe('unary kernels', () => {
  it('LeakyRelu', () => close(run1({ kind: 'LeakyRelu', attrs: { alpha: 0.1 } }, x), [-0.2, -0.05, 0, 0.5, 3]));
  it('Sigmoid (stable for large |x|)', () => {
    close(run1({ kind: 'Sigmoid', attrs: {} }, x), [0.1192029, 0.3775407, 0.5, 0.6224593, 0.9525741]);
    const big = run1({ kind: 'Sigmoid', attrs: {} }, floatTensor([2], [-1000, 1000]));
    expect(Array.from(big.data)).toEqual([0, 1]);
  });
  it('HardSigmoid', () => close(run1({ kind: 'HardSigmoid', attrs: { alpha: 0.2, beta: 0.5 } }, x), [0.1, 0.4, 0.5, 0.6, 1]));
  it('HardSwish', () => close(run1({ kind: 'HardSwish', attrs: {} }, floatTensor([4], [-4, -1, 1, 4])), [0, -1 / 3, 2 / 3, 4]));
  it('Tanh', () => close(run1({ kind: 'Tanh', attrs: {} }, x), [-0.9640276, -0.4621172, 0, 0.4621172, 0.9950548]));
  it('Elu', () => close(run1({ kind: 'Elu', attrs: { alpha: 2 } }, x), [2 * (Math.exp(-2) - 1), 2 * (Math.exp(-0.5) - 1), 0, 0.5, 3]));
  it('Selu', () => {
    const a = 1.6732632;
    const g = 1.0507010;
    close(run1({ kind: 'Selu', attrs: { alpha: a, gamma: g } }, x), [g * a * (Math.exp(-2) - 1), g * a * (Math.exp(-0.5) - 1), 0, g * 0.5, g * 3]);
  });
  it('Exp', () => close(run1({ kind: 'Exp', attrs: {} }, x), [0.1353353, 0.6065307, 1, 1.6487213, 20.0855369], 4));
  it('Neg on float and int64', () => {
    close(run1({ kind: 'Neg', attrs: {} }, x), [2, 0.5, 0, -0.5, -3]);
    const i = run1({ kind: 'Neg', attrs: {} }, tensor('int64', [2], [3, -4]));
    expect(i.dtype).toBe('int64');
    expect(Array.from(i.data)).toEqual([-3, 4]);
  });
  it('Abs', () => close(run1({ kind: 'Abs', attrs: {} }, x), [2, 0.5, 0, 0.5, 3]));
  it('Sqrt', () => {
    const r = run1({ kind: 'Sqrt', attrs: {} }, floatTensor([3], [4, 2, -1]));
    close(floatTensor([2], r.data.subarray(0, 2)), [2, Math.SQRT2]);
    expect(r.data[2]).toBeNaN();
  });
  it('Softplus (no overflow)', () => {
    close(run1({ kind: 'Softplus', attrs: {} }, x), [0.1269280, 0.4740770, Math.LN2, 0.9740770, 3.0485874]);
    close(run1({ kind: 'Softplus', attrs: {} }, floatTensor([2], [200, -200])), [200, 0]);
  });
  it('Sign', () => expect(Array.from(run1({ kind: 'Sign', attrs: {} }, x).data)).toEqual([-1, -1, 0, 1, 1]));
  it('Clip with finite and infinite bounds', () => {
    close(run1({ kind: 'Clip', attrs: { min: -1, max: 1 } }, x), [-1, -0.5, 0, 0.5, 1]);
    close(run1({ kind: 'Clip', attrs: { min: 0, max: Infinity } }, x), [0, 0, 0, 0.5, 3]);
    const i = run1({ kind: 'Clip', attrs: { min: -Infinity, max: 2 } }, tensor('int32', [3], [-7, 1, 9]));
    expect(Array.from(i.data)).toEqual([-7, 1, 2]);
  });
  it('float-only ops reject integer inputs with SAC015', () => {
    for (const op of [{ kind: 'Exp', attrs: {} }, { kind: 'ReduceSum', attrs: { axes: [], keepdims: false } }] as Op[]) {
      expect(() => inferOp(op, [{ dtype: 'int32', shape: [1] }], 'node')).toThrow(expect.objectContaining({ code: 'SAC015' }));
    }
  });
});

describe('broadcasting ops', () => {
  it('PRelu with a broadcast slope', () => {
    const xs = floatTensor([2, 2, 1], [-1, 2, -3, -4]);
    const slope = floatTensor([2, 1], [0.5, 0.25]);
    close(run1({ kind: 'PRelu', attrs: {} }, xs, slope), [-0.5, 2, -1.5, -1]); // slope indexes axis 1
  });
  it('Max/Min/Sum over three broadcast inputs', () => {
    const a = floatTensor([2, 2], [1, 5, 3, -1]);
    const b = floatTensor([2], [2, 0]);
    const c = floatTensor([], [4]);
    close(run1({ kind: 'Max', attrs: {} }, a, b, c), [4, 5, 4, 4]);
    close(run1({ kind: 'Min', attrs: {} }, a, b, c), [1, 0, 2, -1]);
    close(run1({ kind: 'Sum', attrs: {} }, a, b, c), [7, 9, 9, 3]);
    close(run1({ kind: 'Sum', attrs: {} }, a), [1, 5, 3, -1]);
  });
  it('Max propagates NaN', () => {
    expect(run1({ kind: 'Max', attrs: {} }, floatTensor([1], [NaN]), floatTensor([1], [1])).data[0]).toBeNaN();
    expect(run1({ kind: 'Max', attrs: {} }, floatTensor([1], [1]), floatTensor([1], [NaN])).data[0]).toBeNaN();
  });
  it('Pow with broadcasting', () => {
    close(run1({ kind: 'Pow', attrs: {} }, floatTensor([2, 2], [1, 2, 3, 4]), floatTensor([2], [2, 0.5])), [1, Math.SQRT2, 9, 2]);
  });
  it('Expand', () => {
    const r = run1({ kind: 'Expand', attrs: { shape: [2, 3] } }, floatTensor([2, 1], [1, 2]));
    expect(r.shape).toEqual([2, 3]);
    expect(Array.from(r.data)).toEqual([1, 1, 1, 2, 2, 2]);
  });
  it('Tile', () => {
    const r = run1({ kind: 'Tile', attrs: { repeats: [2, 3] } }, floatTensor([2, 2], [1, 2, 3, 4]));
    expect(r.shape).toEqual([4, 6]);
    expect(Array.from(r.data)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
    const z = run1({ kind: 'Tile', attrs: { repeats: [0] } }, floatTensor([2], [1, 2]));
    expect(z.shape).toEqual([0]);
  });
});

describe('reductions', () => {
  const t = floatTensor([2, 3], [1, 2, 3, 4, 5, 6]);
  it('ReduceSum over one axis, keepdims', () => {
    const r = run1({ kind: 'ReduceSum', attrs: { axes: [1], keepdims: true } }, t);
    expect(r.shape).toEqual([2, 1]);
    close(r, [6, 15]);
  });
  it('ReduceMean over axis 0 and over everything', () => {
    const r = run1({ kind: 'ReduceMean', attrs: { axes: [0], keepdims: false } }, t);
    expect(r.shape).toEqual([3]);
    close(r, [2.5, 3.5, 4.5]);
    const all = run1({ kind: 'ReduceMean', attrs: { axes: [], keepdims: false } }, t);
    expect(all.shape).toEqual([]);
    close(all, [3.5]);
  });
});

// ---- importer tests on small hand-built ONNX models ----

type Init = { name: string; t: Tensor };

function valueInfo(name: string, shape: readonly number[], elemType = 1): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function initializer({ name, t }: Init): onnx.ITensorProto {
  const isInt = t.dtype === 'int64';
  return { name, dims: [...t.shape], dataType: isInt ? 7 : 1, ...(isInt ? { int64Data: Array.from(t.data) } : { floatData: Array.from(t.data) }) };
}

function attr(name: string, v: number | number[], float = false): onnx.IAttributeProto {
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  return float ? { name, type: 1, f: v } : { name, type: 2, i: v };
}

/** One-node model with float inputs `ins` (graph inputs) and constant initializers. */
function model(opset: number, opType: string, ins: { name: string; shape: number[] }[], inits: Init[], nodeInputs: string[], attrs: onnx.IAttributeProto[] = []): onnx.IModelProto {
  return {
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'n', opType, input: nodeInputs, output: ['y'], attribute: attrs }],
      initializer: inits.map(initializer),
      input: ins.map((i) => valueInfo(i.name, i.shape)),
      output: [valueInfo('y', [])],
    },
  };
}

function runModel(m: onnx.IModelProto, ...inputs: Tensor[]): Tensor {
  return runGraph(importModel(m), inputs)[0]!;
}

describe('importers', () => {
  it('legacy Add broadcast with axis (opset 6) aligns B at the axis', () => {
    const m = model(6, 'Add', [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2] }], [], ['a', 'b'], [attr('broadcast', 1), attr('axis', 0)]);
    const r = runModel(m, floatTensor([2, 3], [0, 0, 0, 1, 1, 1]), floatTensor([2], [10, 20]));
    expect(Array.from(r.data)).toEqual([10, 10, 10, 21, 21, 21]);
  });
  it('legacy Mul broadcast without axis aligns trailing dims; without broadcast shapes must match', () => {
    const m = model(6, 'Mul', [{ name: 'a', shape: [2, 3] }], [{ name: 'b', t: floatTensor([3], [1, 2, 3]) }], ['a', 'b'], [attr('broadcast', 1)]);
    expect(Array.from(runModel(m, floatTensor([2, 3], [1, 1, 1, 2, 2, 2])).data)).toEqual([1, 2, 3, 2, 4, 6]);
    const bad = model(6, 'Mul', [{ name: 'a', shape: [2, 3] }], [{ name: 'b', t: floatTensor([3], [1, 2, 3]) }], ['a', 'b']);
    expect(() => importModel(bad)).toThrow(ShiftaddcError);
  });
  it('PRelu: [C] slope is per channel in opset 6 and when numpy rules cannot apply', () => {
    const xs = floatTensor([1, 2, 3], [-1, -1, -1, -2, -2, 2]);
    const slope = { name: 's', t: floatTensor([2], [0.5, 0.25]) };
    for (const opset of [6, 9]) {
      const m = model(opset, 'PRelu', [{ name: 'x', shape: [1, 2, 3] }], [slope], ['x', 's']);
      expect(Array.from(runModel(m, xs).data)).toEqual([-0.5, -0.5, -0.5, -0.5, -0.5, 2]);
    }
    // Opset 9 with a slope matching the last axis uses numpy broadcasting.
    const last = model(9, 'PRelu', [{ name: 'x', shape: [1, 2, 2] }], [slope], ['x', 's']);
    expect(Array.from(runModel(last, floatTensor([1, 2, 2], [-1, -1, -4, 4])).data)).toEqual([-0.5, -0.25, -2, 4]);
  });
  it('Clip: attributes before opset 11, constant inputs after (omitted input = unbounded)', () => {
    const xs = floatTensor([3], [-5, 0.25, 5]);
    const old = model(6, 'Clip', [{ name: 'x', shape: [3] }], [], ['x'], [attr('min', -1, true), attr('max', 1, true)]);
    expect(Array.from(runModel(old, xs).data)).toEqual([-1, 0.25, 1]);
    const lo = model(13, 'Clip', [{ name: 'x', shape: [3] }], [{ name: 'lo', t: floatTensor([], [0]) }], ['x', 'lo']);
    expect(Array.from(runModel(lo, xs).data)).toEqual([0, 0.25, 5]);
    const hi = model(13, 'Clip', [{ name: 'x', shape: [3] }], [{ name: 'hi', t: floatTensor([], [1]) }], ['x', '', 'hi']);
    expect(Array.from(runModel(hi, xs).data)).toEqual([-5, 0.25, 1]);
    const dyn = model(13, 'Clip', [{ name: 'x', shape: [3] }, { name: 'lo', shape: [] }], [], ['x', 'lo']);
    expect(() => importModel(dyn)).toThrow(/must be constant/);
  });
  it('ReduceSum: axes attribute before opset 13, input from 13; noop_with_empty_axes', () => {
    const xs = floatTensor([2, 2], [1, 2, 3, 4]);
    const a = model(11, 'ReduceSum', [{ name: 'x', shape: [2, 2] }], [], ['x'], [attr('axes', [-1]), attr('keepdims', 0)]);
    expect(Array.from(runModel(a, xs).data)).toEqual([3, 7]);
    const b = model(13, 'ReduceSum', [{ name: 'x', shape: [2, 2] }], [{ name: 'ax', t: tensor('int64', [1], [0]) }], ['x', 'ax']);
    const rb = runModel(b, xs);
    expect(rb.shape).toEqual([1, 2]);
    expect(Array.from(rb.data)).toEqual([4, 6]);
    const noop = model(13, 'ReduceSum', [{ name: 'x', shape: [2, 2] }], [], ['x'], [attr('noop_with_empty_axes', 1)]);
    expect(Array.from(runModel(noop, xs).data)).toEqual([1, 2, 3, 4]);
  });
  it('ReduceMean: axes attribute until opset 17, input from 18', () => {
    const xs = floatTensor([2, 2], [1, 2, 3, 4]);
    const a = model(17, 'ReduceMean', [{ name: 'x', shape: [2, 2] }], [], ['x'], [attr('axes', [1])]);
    expect(Array.from(runModel(a, xs).data)).toEqual([1.5, 3.5]);
    const b = model(18, 'ReduceMean', [{ name: 'x', shape: [2, 2] }], [{ name: 'ax', t: tensor('int64', [1], [1]) }], ['x', 'ax'], [attr('keepdims', 0)]);
    expect(Array.from(runModel(b, xs).data)).toEqual([1.5, 3.5]);
  });
  it('Tile and Expand take constant repeats/shape; Expand broadcasts the shape with the input', () => {
    const t = model(13, 'Tile', [{ name: 'x', shape: [1, 2] }], [{ name: 'r', t: tensor('int64', [2], [2, 1]) }], ['x', 'r']);
    expect(Array.from(runModel(t, floatTensor([1, 2], [1, 2])).data)).toEqual([1, 2, 1, 2]);
    const e = model(13, 'Expand', [{ name: 'x', shape: [2, 1] }], [{ name: 's', t: tensor('int64', [1], [3]) }], ['x', 's']);
    const r = runModel(e, floatTensor([2, 1], [1, 2]));
    expect(r.shape).toEqual([2, 3]);
    expect(Array.from(r.data)).toEqual([1, 1, 1, 2, 2, 2]);
  });
  it('attribute defaults: LeakyRelu 0.01, Elu 1, HardSigmoid 0.2/0.5, Selu constants', () => {
    const xs = floatTensor([1], [-1]);
    const one = (op: string) => runModel(model(13, op, [{ name: 'x', shape: [1] }], [], ['x']), xs).data[0]!;
    expect(one('LeakyRelu')).toBeCloseTo(-0.01, 6);
    expect(one('Elu')).toBeCloseTo(Math.exp(-1) - 1, 6);
    expect(one('HardSigmoid')).toBeCloseTo(0.3, 6);
    expect(one('Selu')).toBeCloseTo(1.0507010 * 1.6732632 * (Math.exp(-1) - 1), 5);
    expect(one('HardSwish')).toBeCloseTo(-1 / 3, 6);
  });
});
