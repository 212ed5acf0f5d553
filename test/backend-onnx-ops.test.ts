// Every dialect op the ONNX export takes, one-op samples run in onnxruntime against runInteger, value for value.
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/backends/registry.js';
import { runInteger } from '../src/ir/interp-int.js';
import { GraphBuilder, type Graph } from '../src/ir/graph.js';
import { checkAccumulators } from '../src/ir/overflow.js';
import { LOWERED_OPS, shiftParams, type LoweredKind } from '../src/ir/lowered.js';
import { tensor, type DType } from '../src/ir/tensor.js';
import { mulberry32 } from './helpers/prng.js';
import { oneOp, SAMPLES } from './helpers/dialect-samples.js';

/** Spatial size of the wide-accumulator samples. */
const S = 48;

const REFUSED: readonly LoweredKind[] = ['QLrn'];

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

  /** A 3x3 ShiftConv (2 -> 4 channels, S x S, with a gain) whose accumulators pass 2^24. */
  function wideConv(dtype: DType, maxShift: number, rshift: readonly number[]): Graph {
    const rnd = mulberry32(7);
    const b = new GraphBuilder('wide', 13);
    const x = b.addValue('x', { dtype, shape: [1, 2, S, S] }, { quant: { frac: 0 } });
    // Mostly positive terms on mostly positive inputs: the sums do not cancel, so they reach 2^27..2^30.
    const codes = Array.from({ length: 4 * 2 * 9 * 2 }, () => { const c = maxShift - Math.floor(rnd() * 3) + 1; return rnd() < 0.1 ? -c : c; });
    const ids = shiftParams({
      x,
      codes: b.addConst('codes', tensor('int8', [4, 2, 3, 3, 2], codes)),
      bias: b.addConst('bias', tensor('int32', [4], [123457, -98765, 1 << 20, -7])),
      rshift: b.addConst('rshift', tensor('int32', [4], rshift)),
      gain: b.addConst('gain', tensor('int8', [4, 3], [1, 3, -6, 1, 0, 0, 2, -5, 9, 1, 2, 16])),
    });
    const attrs = { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, terms: 2, shiftBits: 5, bits: 16, actMin: -32768, actMax: 32767 };
    const y = b.addNode('wide-conv', { kind: 'ShiftConv', attrs } as never, ids, undefined, undefined, [{ frac: 0 }])[0]!;
    return b.finish([x], [y]);
  }

  for (const [dtype, maxShift] of [['int16', 9], ['int8', 15]] as const) {
    it(`${dtype} input, accumulators past 2^24: split into exact halves, equal to runInteger (plain float32 is not)`, async () => {
      const lim = dtype === 'int16' ? 32768 : 128;
      const rnd = mulberry32(11);
      const xs = Array.from({ length: 2 * S * S }, () => Math.min(lim - 1, Math.floor(rnd() * 1.2 * lim) - Math.floor(0.2 * lim)));
      const x = tensor(dtype, [1, 2, S, S], xs);
      // Shifts putting each channel's largest output near 2^14: rounding matters there, saturation does not.
      const probe = runInteger(wideConv(dtype, maxShift, [16, 16, 16, 16]), [x])[0]!.data;
      const rshift = [0, 1, 2, 3].map((c) => {
        let m = 1;
        for (let i = c * S * S; i < (c + 1) * S * S; i++) m = Math.max(m, Math.abs(probe[i]!));
        return Math.ceil(Math.log2(m * 2 ** 16)) - 14;
      });
      expect(Math.min(...rshift)).toBeGreaterThan(10);
      const g = wideConv(dtype, maxShift, rshift);
      // Inside the overflow proof (SAC050 otherwise): the reference never wraps.
      checkAccumulators(g);
      const want = Array.from(runInteger(g, [x])[0]!.data);
      const e = emit(g, 'onnx', {}, { model: 'wide.onnx' });
      expect(e.summary).toContain('every accumulator exact in float32');
      expect(onnx.ModelProto.decode(e.files[0]!.data as Uint8Array).graph!.node!.filter((n) => n.opType === 'Conv')).toHaveLength(2);
      const session = await ort.InferenceSession.create(e.files[0]!.data as Uint8Array);
      const r = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [1, 2, S, S]) });
      expect(Array.from(r[session.outputNames[0]!]!.data as Float32Array)).toEqual(want);
      // The same layer in plain float32 (one Conv on the integer weights) does round: the split is what makes it exact.
      const plain = await ort.InferenceSession.create(plainConv(g));
      const p = Array.from((await plain.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [1, 2, S, S]) })).acc!.data as Float32Array);
      const exact = exactAcc(g, xs);
      expect(p.filter((v, i) => v !== exact[i]).length).toBeGreaterThan(0);
    });
  }
});

/** The layer's accumulator (weights and bias, no gain) as one float32 Conv, as the export would without the split. */
function plainConv(g: Graph): Uint8Array {
  const n = g.nodes[0]!;
  const codes = g.values[n.inputs[1]!]!.data!;
  const w = termWeightsOf(codes.data, 2);
  const bias = Array.from(g.values[n.inputs[2]!]!.data!.data);
  const info = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [1, name === 'x' ? 2 : 4, S, S].map((d) => ({ dimValue: d })) } } } });
  return onnx.ModelProto.encode({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'plain', input: [info('x')], output: [info('acc')],
      initializer: [{ name: 'w', dataType: 1, dims: [4, 2, 3, 3], floatData: w }, { name: 'b', dataType: 1, dims: [4], floatData: bias }],
      node: [{ opType: 'Conv', input: ['x', 'w', 'b'], output: ['acc'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] }],
    },
  }).finish();
}

function termWeightsOf(codes: ArrayLike<number>, K: number): number[] {
  return Array.from({ length: codes.length / K }, (_, i) => {
    let v = 0;
    for (let k = 0; k < K; k++) { const c = codes[i * K + k]!; if (c) v += Math.sign(c) * 2 ** (Math.abs(c) - 1); }
    return v;
  });
}

/** The exact accumulator in float64 (integers below 2^53), as float32 would hold it if it were exact. */
function exactAcc(g: Graph, xs: readonly number[]): number[] {
  const n = g.nodes[0]!;
  const w = termWeightsOf(g.values[n.inputs[1]!]!.data!.data, 2);
  const bias = g.values[n.inputs[2]!]!.data!.data;
  const out: number[] = [];
  for (let m = 0; m < 4; m++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    let s = bias[m]!;
    for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const yy = y + i - 1;
      const xx = x + j - 1;
      if (yy >= 0 && yy < S && xx >= 0 && xx < S) s += w[((m * 2 + c) * 3 + i) * 3 + j]! * xs[(c * S + yy) * S + xx]!;
    }
    out.push(s);
  }
  return out;
}
