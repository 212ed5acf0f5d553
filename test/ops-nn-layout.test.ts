// Data-movement ops (Transpose, Concat, Split, Slice, Pad, Gather, Cast): kernels vs hand numbers, importers per opset.
import { describe, expect, it } from 'vitest';
import { floatTensor, tensor, type Tensor } from '../src/ir/tensor.js';
import { float, modelGraph, runModel, type ModelSpec, type NodeSpec } from './helpers/onnx-builder.js';
import { expectDiag, run1 } from './helpers/ops.js';

const arange = (shape: number[]) => floatTensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));
const vals = (t: Tensor) => Array.from(t.data);

/** One-node model on input x (float [shape]) plus int64 initializers. */
function one(opset: number, shape: number[], node: NodeSpec, ints: Record<string, number[]> = {}, outputs = node.outputs): ModelSpec {
  return {
    opset,
    inputs: [{ name: 'x', shape }],
    initializers: Object.entries(ints).map(([name, data]) => ({ name, dims: [data.length], data, dtype: 'int64' as const })),
    nodes: [node],
    outputs,
  };
}

describe('Transpose', () => {
  it('default perm reverses the axes', () => {
    const y = runModel(one(13, [2, 3], { op: 'Transpose', inputs: ['x'], outputs: ['y'] }), [arange([2, 3])])[0]!;
    expect(y.shape).toEqual([3, 2]);
    expect(vals(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('3-D perm against index arithmetic', () => {
    const x = arange([2, 3, 4]);
    const y = run1({ kind: 'Transpose', attrs: { perm: [1, 2, 0] } }, x);
    expect(y.shape).toEqual([3, 4, 2]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) {
      expect(y.data[(i * 4 + j) * 2 + k]).toBe(x.data[(k * 3 + i) * 4 + j]);
    }
  });
  it('rejects a non-permutation', () => expectDiag(() => modelGraph(one(13, [2, 3], { op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 0] } })), 'SAC012'));
});

describe('Concat', () => {
  it('joins along an axis (negative axis imported normalised)', () => {
    const spec: ModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [2, 2] }],
      initializers: [{ name: 'c', dims: [2, 1], data: [9, 8] }],
      nodes: [{ op: 'Concat', inputs: ['x', 'c', 'x'], outputs: ['y'], attrs: { axis: -1 } }], outputs: ['y'],
    };
    expect(modelGraph(spec).nodes[0]!.op).toEqual({ kind: 'Concat', attrs: { axis: 1 } });
    const y = runModel(spec, [arange([2, 2])])[0]!;
    expect(y.shape).toEqual([2, 5]);
    expect(vals(y)).toEqual([0, 1, 9, 0, 1, 2, 3, 8, 2, 3]);
    expect(vals(run1({ kind: 'Concat', attrs: { axis: 0 } }, arange([1, 2]), arange([2, 2])))).toEqual([0, 1, 0, 1, 2, 3]);
  });
  it('folds shape arithmetic (Shape -> Concat -> Reshape)', () => {
    const spec: ModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [2, 3, 2] }],
      initializers: [{ name: 'm1', dims: [1], data: [-1], dtype: 'int64' }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'], attrs: { end: 1 } },
        { op: 'Concat', inputs: ['s', 'm1'], outputs: ['t'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
      ],
      outputs: ['y'],
    };
    const g = modelGraph(spec);
    expect(g.nodes.map((n) => n.op)).toEqual([{ kind: 'Reshape', attrs: { shape: [2, 6] } }]);
  });
});

describe('Split', () => {
  const x = arange([2, 6]);
  const node = (attrs: NodeSpec['attrs'], inputs = ['x'], outputs = ['a', 'b', 'c']): NodeSpec => ({ op: 'Split', inputs, outputs, attrs });
  it('split attribute before opset 13', () => {
    const outs = runModel(one(11, [2, 6], node({ axis: 1, split: [1, 2, 3] }), {}, ['a', 'b', 'c']), [x]);
    expect(outs.map((t) => t.shape)).toEqual([[2, 1], [2, 2], [2, 3]]);
    expect(outs.map(vals)).toEqual([[0, 6], [1, 2, 7, 8], [3, 4, 5, 9, 10, 11]]);
  });
  it('split input from opset 13, equal split by default', () => {
    const outs = runModel(one(13, [2, 6], node({ axis: -1 }, ['x', 's'], ['a', 'b']), { s: [4, 2] }, ['a', 'b']), [x]);
    expect(outs.map(vals)).toEqual([[0, 1, 2, 3, 6, 7, 8, 9], [4, 5, 10, 11]]);
    const eq = runModel(one(13, [2, 6], node({ axis: 1 })), [x]);
    expect(eq.map(vals)).toEqual([[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]]);
    expectDiag(() => modelGraph(one(13, [2, 5], node({ axis: 1 }))), 'SAC012');
  });
  it('num_outputs from opset 18 (last chunk smaller)', () => {
    const outs = runModel(one(18, [2, 5], node({ axis: 1, num_outputs: 3 })), [arange([2, 5])]);
    expect(outs.map((t) => t.shape)).toEqual([[2, 2], [2, 2], [2, 1]]);
    expect(outs.map(vals)).toEqual([[0, 1, 5, 6], [2, 3, 7, 8], [4, 9]]);
  });
});

describe('Slice', () => {
  const x = arange([3, 4]);
  it('opset 9 attributes with negative indices and clamping', () => {
    const y = runModel(one(9, [3, 4], { op: 'Slice', inputs: ['x'], outputs: ['y'], attrs: { starts: [-2, 1], ends: [100, -1], axes: [0, 1] } }), [x])[0]!;
    expect(y.shape).toEqual([2, 2]);
    expect(vals(y)).toEqual([5, 6, 9, 10]);
  });
  it('opset 13 inputs: steps, INT64_MAX ends, negative steps to the start', () => {
    const INT64_MAX = 2 ** 63;
    const spec = (starts: number[], ends: number[], axes: number[], steps: number[]) => one(13, [3, 4],
      { op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['y'] }, { st: starts, en: ends, ax: axes, sp: steps });
    const a = runModel(spec([0, 1], [INT64_MAX, INT64_MAX], [0, 1], [2, 2]), [x])[0]!;
    expect(a.shape).toEqual([2, 2]);
    expect(vals(a)).toEqual([1, 3, 9, 11]);
    // Reverse both axes: start at the end, run past index 0 with INT64_MIN.
    const b = runModel(spec([-1, 10], [-INT64_MAX, -INT64_MAX], [-2, 1], [-1, -3]), [x])[0]!;
    expect(b.shape).toEqual([3, 2]);
    expect(vals(b)).toEqual([11, 8, 7, 4, 3, 0]);
    expect(modelGraph(spec([-1, 10], [-INT64_MAX, -INT64_MAX], [-2, 1], [-1, -3])).nodes[0]!.op)
      .toEqual({ kind: 'Slice', attrs: { starts: [-1, 4], ends: [-4, -5], axes: [0, 1], steps: [-1, -3] } });
    // Empty result when start is past end for a positive step.
    expect(runModel(spec([2], [1], [1], [1]), [x])[0]!.shape).toEqual([3, 0]);
  });
  it('axes and steps inputs are optional', () => {
    const y = runModel(one(10, [3, 4], { op: 'Slice', inputs: ['x', 'st', 'en'], outputs: ['y'] }, { st: [1], en: [2] }), [x])[0]!;
    expect(vals(y)).toEqual([4, 5, 6, 7]);
  });
});

describe('Pad', () => {
  const x = floatTensor([2, 3], [1, 2, 3, 4, 5, 6]);
  const pad = (mode: string, pads: number[], value = 0) => run1({ kind: 'Pad', attrs: { mode: mode as 'constant', pads, value } }, x);
  it('constant, edge, reflect, wrap by hand', () => {
    const c = pad('constant', [0, 1, 1, 2], 9);
    expect(c.shape).toEqual([3, 6]);
    expect(vals(c)).toEqual([9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9]);
    expect(vals(pad('edge', [0, 2, 0, 1]))).toEqual([1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6]);
    expect(vals(pad('reflect', [0, 2, 0, 2]))).toEqual([3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4]);
    expect(vals(pad('wrap', [0, 2, 0, 1]))).toEqual([2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4]);
  });
  it('negative pads crop', () => expect(vals(pad('constant', [0, -1, 0, 0]))).toEqual([2, 3, 5, 6]));
  it('opset 10 attributes, opset 11 inputs, opset 18 axes', () => {
    const a = runModel(one(10, [2, 3], { op: 'Pad', inputs: ['x'], outputs: ['y'], attrs: { pads: [1, 0, 0, 0], value: float(-1) } }), [x])[0]!;
    expect(vals(a)).toEqual([-1, -1, -1, 1, 2, 3, 4, 5, 6]);
    const spec11: ModelSpec = {
      ...one(11, [2, 3], { op: 'Pad', inputs: ['x', 'p', 'v'], outputs: ['y'], attrs: { mode: 'constant' } }, { p: [0, 0, 0, 1] }),
    };
    spec11.initializers = [...spec11.initializers!, { name: 'v', dims: [], data: [7] }];
    expect(vals(runModel(spec11, [x])[0]!)).toEqual([1, 2, 3, 7, 4, 5, 6, 7]);
    const b = runModel(one(18, [2, 3], { op: 'Pad', inputs: ['x', 'p', '', 'ax'], outputs: ['y'], attrs: { mode: 'edge' } }, { p: [1, 0], ax: [-1] }), [x])[0]!;
    expect(vals(b)).toEqual([1, 1, 2, 3, 4, 4, 5, 6]);
  });
});

describe('Gather', () => {
  const x = arange([3, 2]);
  it('constant indices with negatives and a scalar index', () => {
    const spec = (dims: number[], data: number[], axis: number): ModelSpec => ({
      opset: 13, inputs: [{ name: 'x', shape: [3, 2] }],
      initializers: [{ name: 'i', dims, data, dtype: 'int64' }],
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis } }], outputs: ['y'],
    });
    const y = runModel(spec([2, 2], [0, -1, 2, 1], 0), [x])[0]!;
    expect(y.shape).toEqual([2, 2, 2]);
    expect(vals(y)).toEqual([0, 1, 4, 5, 4, 5, 2, 3]);
    const s = runModel(spec([], [-1], 1), [x])[0]!;
    expect(s.shape).toEqual([3]);
    expect(vals(s)).toEqual([1, 3, 5]);
    expectDiag(() => modelGraph(spec([1], [3], 0)), 'SAC013');
  });
  it('indices from the graph (run-time) and constant-folded shape gathers', () => {
    const spec: ModelSpec = {
      opset: 13, inputs: [{ name: 'x', shape: [3, 2] }, { name: 'i', shape: [2], dtype: 'int64' }],
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 1 } }], outputs: ['y'],
    };
    const y = runModel(spec, [x, tensor('int64', [2], [1, -2])])[0]!;
    expect(vals(y)).toEqual([1, 0, 3, 2, 5, 4]);
    expectDiag(() => runModel(spec, [x, tensor('int64', [2], [0, 2])]), 'SAC013');
    const folded = modelGraph({
      opset: 13, inputs: [{ name: 'x', shape: [3, 2] }],
      initializers: [{ name: 'k', dims: [], data: [1], dtype: 'int64' }],
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'k'], outputs: ['y'] }], outputs: ['y'],
    });
    expect(folded.nodes.length).toBe(0);
    expect(vals(folded.values[folded.outputs[0]!]!.data!)).toEqual([2]);
  });
});

describe('Cast', () => {
  const x = floatTensor([5], [-1.7, -0.2, 0, 2.9, 300]);
  it('float to integer types truncates toward zero (and wraps narrow types)', () => {
    expect(vals(run1({ kind: 'Cast', attrs: { to: 'int32' } }, x))).toEqual([-1, 0, 0, 2, 300]);
    expect(vals(run1({ kind: 'Cast', attrs: { to: 'int64' } }, x))).toEqual([-1, 0, 0, 2, 300]);
    expect(vals(run1({ kind: 'Cast', attrs: { to: 'int8' } }, x))).toEqual([-1, 0, 0, 2, 44]);
    expect(vals(run1({ kind: 'Cast', attrs: { to: 'bool' } }, x))).toEqual([1, 1, 0, 1, 1]);
  });
  it('imports `to` as an ONNX type code', () => {
    const spec = (to: number): ModelSpec => one(13, [5], { op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to } });
    const y = runModel(spec(7), [x])[0]!;
    expect(y.dtype).toBe('int64');
    const back = run1({ kind: 'Cast', attrs: { to: 'float32' } }, y);
    expect(back.dtype).toBe('float32');
    expect(vals(back)).toEqual([-1, 0, 0, 2, 300]);
    expect(runModel(spec(11), [x])[0]!.dtype).toBe('float32'); // double computes as float32
    expectDiag(() => modelGraph(spec(8)), 'SAC015'); // string
  });
});
