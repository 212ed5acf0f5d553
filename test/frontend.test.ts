// Frontend details: every TensorProto storage form, .npy dtypes, and PyTorch's shape subgraphs folding away.
import { describe, expect, it } from 'vitest';
import { decodeTensor } from '../src/frontend/tensor-proto.js';
import { readNpy, writeNpy } from '../src/io/npy.js';
import { runGraph } from '../src/ir/interp-float.js';
import { tensor } from '../src/ir/tensor.js';
import { modelGraph } from './helpers/onnx-builder.js';

describe('TensorProto storage forms', () => {
  it('decodes typed fields, raw data, float16, bfloat16, double and int64', () => {
    expect([...decodeTensor({ dims: [2], dataType: 1, floatData: [1.5, -2] }, 't').data]).toEqual([1.5, -2]);
    const raw = new Uint8Array(new Float32Array([3, 4]).buffer);
    expect([...decodeTensor({ dims: [2], dataType: 1, rawData: raw }, 't').data]).toEqual([3, 4]);
    // 0x3c00 = 1.0, 0xc000 = -2.0, 0x0001 = smallest subnormal (2^-24) in IEEE half precision.
    expect([...decodeTensor({ dims: [3], dataType: 10, int32Data: [0x3c00, 0xc000, 0x0001] }, 't').data]).toEqual([1, -2, 2 ** -24]);
    expect([...decodeTensor({ dims: [1], dataType: 16, int32Data: [0x3fc0] }, 't').data]).toEqual([1.5]);
    expect([...decodeTensor({ dims: [2], dataType: 11, doubleData: [0.25, 8] }, 't').data]).toEqual([0.25, 8]);
    const i64 = decodeTensor({ dims: [2], dataType: 7, rawData: new Uint8Array(new BigInt64Array([-3n, 5n]).buffer) }, 't');
    expect(i64.dtype).toBe('int64');
    expect([...i64.data]).toEqual([-3, 5]);
  });

  it('reads misaligned raw data correctly (copying only then)', () => {
    const buf = new Uint8Array(9);
    buf.set(new Uint8Array(new Float32Array([7, -1]).buffer), 1);
    expect([...decodeTensor({ dims: [2], dataType: 1, rawData: buf.subarray(1) }, 't').data]).toEqual([7, -1]);
  });

  it('rejects byte counts that do not match the shape, and huge dims, before allocating', () => {
    expect(() => decodeTensor({ dims: [3], dataType: 1, rawData: new Uint8Array(8) }, 'w')).toThrow(/SAC008|raw data holds 8 bytes/);
    expect(() => decodeTensor({ dims: [2 ** 40], dataType: 1, rawData: new Uint8Array(8) }, 'w')).toThrow(/exceeds the limit/);
    expect(() => decodeTensor({ dims: [2], dataType: 1, floatData: [1] }, 'w')).toThrow(/typed field/);
  });
});

describe('.npy', () => {
  it('round-trips every supported dtype', () => {
    for (const dtype of ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64'] as const) {
      const t = tensor(dtype, [2, 3], [1, 2, 3, 4, 5, 6]);
      const back = readNpy(writeNpy(t));
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual([2, 3]);
      expect([...back.data]).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });
});

describe('PyTorch shape subgraphs', () => {
  it('Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds into one static Reshape', () => {
    const g = modelGraph({
      opset: 11,
      inputs: [{ name: 'x', shape: [1, 4, 2, 2] }],
      initializers: [{ name: 'i0', dims: [], data: [0], dtype: 'int64' }, { name: 'minus1', dims: [1], data: [-1], dtype: 'int64' }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n'], outputs: ['n1'], attrs: { axes: [0] } },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      outputs: ['y'],
    });
    expect(g.nodes.map((n) => n.op.kind)).toEqual(['Reshape']);
    expect(g.values[g.outputs[0]!]!.type.shape).toEqual([1, 16]);
    const [y] = runGraph(g, [tensor('float32', [1, 4, 2, 2], Array.from({ length: 16 }, (_, i) => i))]);
    expect([...y!.data]).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });
});

describe('.npy from a Node Buffer', () => {
  it('reads float32 payloads correctly when given a Buffer (a view, not a copy)', () => {
    const t = tensor('float32', [3], [1.5, -2, 4]);
    const buf = Buffer.concat([Buffer.alloc(3), Buffer.from(writeNpy(t))]).subarray(3);
    expect([...readNpy(buf).data]).toEqual([1.5, -2, 4]);
  });
});
