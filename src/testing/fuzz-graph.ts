// Structural model mutations (attributes, shapes, op types, initializer sizes and values, wiring) carried through compile.
import type { onnx } from 'onnx-proto';
import { ONNX } from '../util/onnx-proto.js';
import { compile } from '../compile.js';
import { ShiftaddcError } from '../diagnostics.js';
import type { Tensor } from '../ir/tensor.js';
import { mulberry32, type FuzzOutcome } from './fuzz.js';

export type GraphMutation = 'attribute' | 'shape' | 'optype' | 'initializer' | 'values' | 'wiring';
const KINDS: GraphMutation[] = ['attribute', 'shape', 'optype', 'initializer', 'values', 'wiring'];
const OPS = ['Conv', 'Relu', 'MaxPool', 'AveragePool', 'Gemm', 'Flatten', 'Add', 'Mul', 'Tile', 'Expand', 'Reshape', 'ConstantOfShape',
  'BatchNormalization', 'Concat', 'Transpose', 'GlobalAveragePool', 'Softmax', 'Clip', 'Identity', 'Sigmoid', 'Pad', 'Slice'];
const INTS = [-(2 ** 31), -3, -1, 0, 1, 2, 3, 7, 64, 2 ** 16, 2 ** 29 - 1, 2 ** 31 - 1];
const FLOATS = [NaN, Infinity, -Infinity, 3e38, -3e38, 1e-45, 0, -0, 1, 1e20];

const f32 = (n: number, v: (i: number) => number) => new Uint8Array(Float32Array.from({ length: n }, (_, i) => v(i)).buffer);
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: 2, i });
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: 7, ints: v });

/** Conv -> BN -> Relu -> MaxPool -> Flatten -> Gemm on a 1x1x8x8 input: every lowered layer kind, tiny. */
export function baseModel(): onnx.ModelProto {
  const init = (name: string, dims: number[], v: (i: number) => number): onnx.ITensorProto =>
    ({ name, dims, dataType: 1, rawData: f32(dims.reduce((a, b) => a * b, 1), v) });
  // Encoded and decoded so every field is a message object with its repeated fields present.
  return ONNX.ModelProto.decode(ONNX.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'fuzz',
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [1, 1, 8, 8].map((d) => ({ dimValue: d })) } } } }],
      initializer: [
        init('w1', [4, 1, 3, 3], (i) => Math.sin(i) / 2), init('b1', [4], (i) => i / 10),
        init('s', [4], () => 1.1), init('bb', [4], () => 0.05), init('m', [4], () => 0.1), init('v', [4], () => 0.9),
        init('w2', [5, 36], (i) => Math.cos(i) / 6), init('b2', [5], () => 0),
      ],
      node: [
        { name: 'conv', opType: 'Conv', input: ['x', 'w1', 'b1'], output: ['c'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [0, 0, 0, 0])] },
        { name: 'bn', opType: 'BatchNormalization', input: ['c', 's', 'bb', 'm', 'v'], output: ['n'], attribute: [] },
        { name: 'relu', opType: 'Relu', input: ['n'], output: ['r'], attribute: [] },
        { name: 'pool', opType: 'MaxPool', input: ['r'], output: ['p'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
        { name: 'flat', opType: 'Flatten', input: ['p'], output: ['f'], attribute: [int('axis', 1)] },
        { name: 'fc', opType: 'Gemm', input: ['f', 'w2', 'b2'], output: ['y'], attribute: [int('transB', 1)] },
      ],
      output: [{ name: 'y' }],
    },
  }).finish());
}

/** Returns a structurally mutated copy of the base model (1-3 mutations) as bytes, and the first mutation's kind. */
export function mutateGraph(seed: number): { bytes: Uint8Array; kind: GraphMutation } {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const m = baseModel();
  const g = m.graph as onnx.GraphProto;
  const kind = KINDS[seed % KINDS.length]!;
  const steps = 1 + Math.floor(rnd() * 3);
  for (let s = 0; s < steps; s++) {
    const k = s === 0 ? kind : pick(KINDS);
    const node = pick(g.node) as onnx.NodeProto;
    switch (k) {
      case 'attribute': {
        const names = ['kernel_shape', 'pads', 'strides', 'dilations', 'group', 'axis', 'transB', 'auto_pad', 'epsilon'];
        const name = pick(names);
        node.attribute = node.attribute.filter((a) => a.name !== name);
        const r = rnd();
        if (r < 0.4) node.attribute.push(ONNX.AttributeProto.create(ints(name, Array.from({ length: Math.floor(rnd() * 5) }, () => pick(INTS)))));
        else if (r < 0.7) node.attribute.push(ONNX.AttributeProto.create(int(name, pick(INTS))));
        else if (r < 0.85) node.attribute.push(ONNX.AttributeProto.create({ name, type: 1, f: pick(FLOATS) }));
        else node.attribute.push(ONNX.AttributeProto.create({ name, type: 3, s: new TextEncoder().encode(pick(['SAME_UPPER', 'VALID', '\x1b[2J', ''])) }));
        break;
      }
      case 'shape': {
        const dims = (g.input[0]!.type!.tensorType!.shape as onnx.TensorShapeProto).dim;
        dims[Math.floor(rnd() * dims.length)]!.dimValue = pick(INTS);
        if (rnd() < 0.2) dims.pop();
        break;
      }
      case 'optype':
        node.opType = pick(OPS);
        break;
      case 'initializer': {
        // New declared dims with a payload that matches them (or, sometimes, one that does not).
        const t = pick(g.initializer) as onnx.TensorProto;
        const dims = t.dims.map((d) => (rnd() < 0.5 ? Math.max(0, Math.floor(Number(d) * pick([0, 0.5, 2, 16, 1024])) ) : Number(d)));
        t.dims = dims;
        const n = dims.reduce((a, b) => a * b, 1);
        t.rawData = n <= 1 << 20 ? f32(rnd() < 0.9 ? n : n + 1, (i) => Math.sin(i)) : new Uint8Array(16);
        break;
      }
      case 'values': {
        const t = pick(g.initializer) as onnx.TensorProto;
        const v = new Float32Array(new Uint8Array(t.rawData).buffer);
        const hits = 1 + Math.floor(rnd() * 3);
        for (let h = 0; h < hits && v.length; h++) v[Math.floor(rnd() * v.length)] = pick(FLOATS);
        t.rawData = new Uint8Array(v.buffer);
        break;
      }
      case 'wiring': {
        const names = [...g.initializer.map((t) => t.name ?? ''), ...g.node.flatMap((n) => n.output ?? []), 'x', ''];
        if (node.input.length) node.input[Math.floor(rnd() * node.input.length)] = pick(names);
        break;
      }
    }
  }
  return { bytes: ONNX.ModelProto.encode(m).finish(), kind };
}

/** Calibration samples of the base model's input (a mutated input shape then gets SAC021). */
export function fuzzCalibration(): Tensor {
  return { dtype: 'float32', shape: [16, 1, 8, 8], data: Float32Array.from({ length: 16 * 64 }, (_, i) => ((i * 29) % 31) / 31) };
}

/** Compiles mutated bytes; anything other than a result or a ShiftaddcError is a crash. */
export function compileOutcome(bytes: Uint8Array, calibration: Tensor = fuzzCalibration()): FuzzOutcome {
  const t0 = performance.now();
  try {
    compile(bytes, { calibration: [calibration] });
    return { result: 'loaded', ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof ShiftaddcError) return { result: 'diagnostic', code: e.code, ms };
    return { result: 'crash', error: (e as Error)?.stack ?? String(e), ms };
  }
}
