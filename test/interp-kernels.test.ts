// The compiled interpreter kernels (src/accel/interp.c), as registered accelerators, against the reference OpDef.run: the same bits.
import { afterEach, describe, expect, it } from 'vitest';
import { convOp } from '../src/ir/ops/conv.js';
import { gemmOp } from '../src/ir/ops/gemm.js';
import { maxPoolOp } from '../src/ir/ops/max-pool.js';
import { reluOp } from '../src/ir/ops/relu.js';
import { shiftConvOp } from '../src/ir/ops/shift-conv.js';
import { shiftGemmOp } from '../src/ir/ops/shift-gemm.js';
import type { OpDef } from '../src/ir/op.js';
import type { DType, Tensor } from '../src/ir/tensor.js';
import '../src/accel/register.js';
import { setWasmKernels } from '../src/accel/runtime.js';
import { accelerator } from '../src/ir/accel.js';
import { runOp } from '../src/ir/graph.js';
import { OPS, type Op, type OpKind } from '../src/ir/registry.js';
import { chance, mulberry32, pick, randInt, type Rng } from './helpers/prng.js';

afterEach(() => { setWasmKernels(true); });

/** Runs an op through its registered accelerator and its reference OpDef.run; both results as raw bytes. */
function bothWays<A extends object>(op: OpDef<A>, attrs: A, inputs: Tensor[]): [number[], number[]] {
  const bytes = (t: Tensor) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const kind = (Object.keys(OPS) as OpKind[]).find((k) => OPS[k] === (op as unknown))!;
  setWasmKernels(true);
  const served = accelerator(kind)!(attrs as never, inputs);
  // The fast path must really serve these cases (else the comparison below would test the reference twice).
  expect(served).not.toBeNull();
  const [fast] = served!;
  const [ref] = op.run(attrs, inputs);
  expect(runOp({ kind, attrs } as Op, inputs)[0]!.data).toEqual(fast!.data);
  setWasmKernels(false);
  expect(accelerator(kind)!(attrs as never, inputs)).toBeNull();
  setWasmKernels(true);
  expect(fast!.dtype).toBe(ref!.dtype);
  expect(fast!.shape).toEqual(ref!.shape);
  return [bytes(fast!), bytes(ref!)];
}

const ints = (r: Rng, dtype: DType, shape: number[], lo: number, hi: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'int8' ? new Int8Array(n) : dtype === 'int16' ? new Int16Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = randInt(r, lo, hi);
  return { dtype, shape, data };
};

const floats = (r: Rng, shape: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1) });

/** Random 1-D or 2-D window geometry with groups, pads, strides and dilations that give a non-empty output. */
function geometry(r: Rng) {
  const two = chance(r, 0.8);
  const kernel = two ? [randInt(r, 1, 3), randInt(r, 1, 3)] : [randInt(r, 1, 4)];
  const dil = kernel.map(() => randInt(r, 1, 2));
  const strides = kernel.map(() => randInt(r, 1, 2));
  const pads = [...kernel, ...kernel].map((k, i) => randInt(r, 0, Math.min(2, (k - 1) * dil[i % kernel.length]!)));
  const spatial = kernel.map((k, i) => (k - 1) * dil[i]! + 1 + randInt(r, 0, 5));
  return { kernel, dilations: dil, strides, pads, spatial };
}

describe('compiled interpreter kernels', () => {
  it('ShiftConv: groups, padding, strides, dilations, int16, gains and per-channel clamps', () => {
    const r = mulberry32(11);
    for (let trial = 0; trial < 40; trial++) {
      const { kernel, dilations, strides, pads, spatial } = geometry(r);
      const group = pick(r, [1, 1, 2, 3]);
      const C = group * randInt(r, 1, 3);
      const M = group * randInt(r, 1, 6);
      const K = randInt(r, 1, 3);
      const N = randInt(r, 1, 3);
      const inBits = pick(r, [8, 16]);
      const bits = pick(r, [8, 16]);
      const x = ints(r, inBits === 8 ? 'int8' : 'int16', [N, C, ...spatial], inBits === 8 ? -128 : -3000, inBits === 8 ? 127 : 3000);
      const codes = ints(r, 'int8', [M, C / group, ...kernel, K], -16, 16);
      const bias = ints(r, 'int32', [M], -5000, 5000);
      const rshift = ints(r, 'int32', [M], -3, 12);
      const hi = 2 ** (bits - 1) - 1;
      const attrs = {
        group, kernel, strides, pads, dilations, terms: K, shiftBits: 4, bits, actMin: chance(r, 0.5) ? 0 : -hi - 1, actMax: hi,
        ...(chance(r, 0.3) ? { channelMax: Array.from({ length: M }, () => randInt(r, 1, hi)) } : {}),
      };
      const inputs = [x, codes, bias, rshift];
      if (chance(r, 0.4)) inputs.push(ints(r, 'int8', [M, 3], -3, 3));
      const [fast, ref] = bothWays(shiftConvOp, attrs, inputs);
      expect(fast).toEqual(ref);
    }
  });

  it('ShiftGemm: int8 and int16 rows, gains, saturation', () => {
    const r = mulberry32(12);
    for (let trial = 0; trial < 30; trial++) {
      const [N, D, M, K] = [randInt(r, 1, 70), randInt(r, 1, 40), randInt(r, 1, 12), randInt(r, 1, 3)];
      const int16 = chance(r, 0.4);
      const bits = pick(r, [8, 16]);
      const x = ints(r, int16 ? 'int16' : 'int8', [N, D], int16 ? -20000 : -128, int16 ? 20000 : 127);
      const inputs = [x, ints(r, 'int8', [M, D, K], -16, 16), ints(r, 'int32', [M], -(2 ** 20), 2 ** 20), ints(r, 'int32', [M], -2, 16)];
      if (chance(r, 0.4)) inputs.push(ints(r, 'int8', [M, 2], -4, 4));
      const hi = 2 ** (bits - 1) - 1;
      const [fast, ref] = bothWays(shiftGemmOp, { terms: K, shiftBits: 4, bits, actMin: -hi - 1, actMax: hi }, inputs);
      expect(fast).toEqual(ref);
    }
  });

  it('float Conv rounds every tap as the reference', () => {
    const r = mulberry32(13);
    for (let trial = 0; trial < 30; trial++) {
      const { kernel, dilations, strides, pads, spatial } = geometry(r);
      const group = pick(r, [1, 2]);
      const C = group * randInt(r, 1, 3);
      const M = group * randInt(r, 1, 5);
      const inputs = [floats(r, [randInt(r, 1, 3), C, ...spatial]), floats(r, [M, C / group, ...kernel])];
      if (chance(r, 0.6)) inputs.push(floats(r, [M]));
      const [fast, ref] = bothWays(convOp, { group, kernel, strides, pads, dilations }, inputs);
      expect(fast).toEqual(ref);
    }
  });

  it('float Gemm (B transposed) sums each dot in double, with C full, broadcast or absent', () => {
    const r = mulberry32(15);
    for (let trial = 0; trial < 30; trial++) {
      const [M, K, N] = [randInt(r, 1, 9), randInt(r, 1, 40), randInt(r, 1, 11)];
      const inputs = [floats(r, [M, K]), floats(r, [N, K])];
      const c = pick(r, ['none', 'full', 'row', 'scalar'] as const);
      if (c !== 'none') inputs.push(floats(r, c === 'full' ? [M, N] : c === 'row' ? [N] : [1]));
      const attrs = { alpha: pick(r, [1, 0.5, -1.25]), beta: pick(r, [1, 0, -0.75]), transA: false, transB: true };
      const [fast, ref] = bothWays(gemmOp, attrs, inputs);
      expect(fast).toEqual(ref);
    }
  });

  it('MaxPool on float32, int8 and int16; a NaN input is left to the reference', () => {
    const r = mulberry32(14);
    for (let trial = 0; trial < 30; trial++) {
      const { kernel, dilations, strides, pads, spatial } = geometry(r);
      const dtype = pick(r, ['float32', 'int8', 'int16'] as const);
      const shape = [randInt(r, 1, 2), randInt(r, 1, 4), ...spatial];
      const x = dtype === 'float32' ? floats(r, shape) : ints(r, dtype, shape, -128, 127);
      const attrs = { kernel, strides, pads, dilations, ceilMode: chance(r, 0.3) };
      const [fast, ref] = bothWays(maxPoolOp, attrs, [x]);
      expect(fast).toEqual(ref);
      if (dtype !== 'float32') continue;
      (x.data as Float32Array)[0] = NaN;
      expect(accelerator('MaxPool')!(attrs as never, [x])).toBeNull();
      // The reference keeps onnxruntime's visiting order (a NaN tap is replaced by the next one): runOp is it.
      expect(runOp({ kind: 'MaxPool', attrs } as Op, [x])[0]!.data).toEqual(maxPoolOp.run(attrs, [x])[0]!.data);
    }
  });

  it('Relu maps -0 to +0 on both paths; a NaN input is left to the reference, which propagates it', () => {
    const vals = [-0, 0, -1e-30, 2.5, -Infinity, Infinity];
    const x: Tensor = { dtype: 'float32', shape: [40000], data: Float32Array.from({ length: 40000 }, (_, i) => vals[i % 6]! * (i % 3 === 0 ? 1 : -1)) };
    const [fast, ref] = bothWays(reluOp, {}, [x]);
    expect(fast).toEqual(ref);
    (x.data as Float32Array)[7] = NaN;
    expect(accelerator('Relu')!({} as never, [x])).toBeNull();
    expect(runOp({ kind: 'Relu', attrs: {} } as Op, [x])[0]!.data[7]).toBeNaN();
  });
});
