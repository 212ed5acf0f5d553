// Every dialect op the ONNX export takes, one-op samples run in onnxruntime against runInteger, value for value.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/backends/registry.js';
import { runInteger } from '../src/ir/interp-int.js';
import { LOWERED_OPS, type LoweredKind } from '../src/ir/lowered.js';
import { tensor } from '../src/ir/tensor.js';
import { oneOp, SAMPLES } from './helpers/dialect-samples.js';

const REFUSED: readonly LoweredKind[] = ['AdderConv', 'QLrn'];

describe('ONNX export: one op at a time', () => {
  for (const kind of Object.keys(LOWERED_OPS) as LoweredKind[]) {
    if (REFUSED.includes(kind)) continue;
    it(`${kind} matches runInteger exactly`, async () => {
      const g = oneOp(SAMPLES[kind]);
      const inV = g.values[g.inputs[0]!]!;
      const outV = g.values[g.outputs[0]!]!;
      const n = inV.type.shape.reduce((a, b) => a * b, 1);
      const lim = inV.type.dtype === 'int16' ? 32768 : 128;
      const xs = Array.from({ length: n }, (_, i) => ((i * 37) % (2 * lim - 5)) - lim + 3);
      const want = runInteger(g, [tensor(inV.type.dtype, inV.type.shape, xs)])[0]!;
      const session = await ort.InferenceSession.create(emit(g, 'onnx', {}, { model: 'dialect.onnx' }).files[0]!.data as Uint8Array);
      // The float input that the export's quantiser maps back onto exactly these integers.
      const x = Float32Array.from(xs, (v) => v * 2 ** -(inV.quant?.frac ?? 0));
      const r = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [...inV.type.shape]) });
      const got = Array.from(r[session.outputNames[0]!]!.data as Float32Array, (v) => v * 2 ** (outV.quant?.frac ?? 0));
      expect(got).toEqual(Array.from(want.data));
    });
  }
});
