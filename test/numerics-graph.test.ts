// Integer numerics contract, graph level: QAdd/Requantize/QAveragePool kernels, overflow proof, runInteger, int8 structural ops.
import { describe, expect, it } from 'vitest';
import { ShiftaddcError } from '../src/diagnostics.js';
import { csdDigits, csdFracDigits, rshr } from '../src/ir/fixed-point.js';
import { GraphBuilder } from '../src/ir/graph.js';
import { dequantizeOutput, quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { checkAccumulators } from '../src/ir/overflow.js';
import type { Op } from '../src/ir/registry.js';
import { floatTensor, tensor, type Tensor } from '../src/ir/tensor.js';
import { expectDiag, run1 } from './helpers/ops.js';

describe('QAdd, Requantize, QAveragePool', () => {
  it('QAdd aligns to the finer frac and requantises with broadcasting', () => {
    const a = tensor('int8', [2, 2], [10, -10, 127, -128]); // frac 2
    const b = tensor('int8', [2], [3, -3]); // frac 4
    const y = run1({ kind: 'QAdd', attrs: { fracA: 2, fracB: 4, fracOut: 3, bits: 8, actMin: -128, actMax: 127 } }, a, b);
    // v = a*4 + b (frac 4), out frac 3: rshr(v, 1)
    expect(Array.from(y.data)).toEqual([rshr(43, 1), rshr(-43, 1), 127, -128]);
    const relu = run1({ kind: 'QAdd', attrs: { fracA: 0, fracB: 0, fracOut: 1, bits: 8, actMin: 0, actMax: 127 } }, tensor('int8', [3], [1, -5, 100]), tensor('int8', [1], [2]));
    expect(Array.from(relu.data)).toEqual([6, 0, 127]);
    const wide = run1({ kind: 'QAdd', attrs: { fracA: 0, fracB: 0, fracOut: 0, bits: 16, actMin: -32768, actMax: 32767 } }, tensor('int8', [1], [127]), tensor('int16', [1], [32767]));
    expect(wide.dtype).toBe('int16');
    expect(Array.from(wide.data)).toEqual([32767]);
  });
  it('Requantize narrows int32 with rounding and clamps', () => {
    const y = run1({ kind: 'Requantize', attrs: { shift: 2, bits: 8, actMin: -128, actMax: 100 } }, tensor('int32', [5], [6, -6, -7, 1000, -100000]));
    expect(Array.from(y.data)).toEqual([2, -1, -2, 100, -128]);
  });
  it('QAveragePool: global and padded windows match s/N rounded through the CSD reciprocal', () => {
    const digits = Array.from(csdDigits(1 / 4));
    const x = tensor('int8', [1, 1, 2, 2], [1, 2, 3, 5]);
    const base = { kernel: [], strides: [], pads: [], dilations: [], ceilMode: false, countIncludePad: false };
    const g = run1({ kind: 'QAveragePool', attrs: { ...base, global: true, digits, shiftOut: 16, bits: 8 } }, x);
    expect(Array.from(g.data)).toEqual([3]); // 11/4 = 2.75 -> 3
    const win = { kernel: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0], dilations: [1, 1], ceilMode: false, global: false, shiftOut: 16, bits: 8, digits };
    const p0 = run1({ kind: 'QAveragePool', attrs: { ...win, countIncludePad: false } }, x);
    expect(Array.from(p0.data)).toEqual([1, 2, 2, 3]); // 1/1, 3/2=1.5->2, 4/2, 11/4
    const p1 = run1({ kind: 'QAveragePool', attrs: { ...win, countIncludePad: true } }, x);
    expect(Array.from(p1.data)).toEqual([0, 1, 1, 3]); // 1/4->0, 3/4->1, 4/4, 11/4
    expectDiag(() => run1({ kind: 'QAveragePool', attrs: { ...win, countIncludePad: true, digits: Array.from(csdDigits(1 / 3)) } }, x), 'SAC012');
  });
});

/** Builds x -> ShiftConv(1x1) -> MaxPool -> Reshape -> output; the conv parameters come from the caller. */
function convGraph(codes: Tensor, bias: Tensor, rsh: Tensor, shiftBits: number, xDtype: 'int8' | 'int16' = 'int8', gain?: Tensor) {
  const b = new GraphBuilder('g', 13);
  const x = b.addValue('x', { dtype: xDtype, shape: [1, 1, 2, 2] }, { quant: { frac: 4 } });
  const M = codes.shape[0]!;
  const conv = { group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], terms: codes.shape[4]!, shiftBits, bits: 8, actMin: 0, actMax: 127 };
  const params = [x, b.addConst('codes', codes), b.addConst('bias', bias), b.addConst('rsh', rsh), ...(gain ? [b.addConst('gain', gain)] : [])];
  const [y] = b.addNode('conv1', { kind: 'ShiftConv', attrs: conv }, params);
  const pool = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false };
  const [p] = b.addNode('pool', { kind: 'MaxPool', attrs: pool }, [y!]);
  const [z] = b.addNode('flat', { kind: 'Reshape', attrs: { shape: [1, M] } }, [p!]);
  return b.finish([x], [z!]);
}

describe('overflow proof and integer interpreter', () => {
  it('reports headroom and rejects a crafted overflowing layer with SAC050 naming it', () => {
    const ok = convGraph(tensor('int8', [1, 1, 1, 1, 2], [3, -1]), tensor('int32', [1], [100]), tensor('int32', [1], [2]), 2);
    const [rep] = checkAccumulators(ok);
    expect(rep).toEqual({ layer: 'conv1', worstBound: 100 + 2 + 128 * 4 + 128, headroomBits: 21 });
    // 1x1 conv with 4 terms of shift 31 - 7 = 24 on int16 input: 4 * 2^15 * 2^24 overflows.
    const bad = convGraph(tensor('int8', [1, 1, 1, 1, 2], [25, 25]), tensor('int32', [1], [0]), tensor('int32', [1], [0]), 5, 'int16');
    let err: unknown;
    try { checkAccumulators(bad); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShiftaddcError);
    expect((err as ShiftaddcError).code).toBe('SAC050');
    expect((err as ShiftaddcError).where).toContain('conv1');
    // Just fits: int8 input, one term of shift 23 plus bias: 2^30 + 2^30 - 1 = 2^31 - 1.
    const edge = convGraph(tensor('int8', [1, 1, 1, 1, 1], [24]), tensor('int32', [1], [2 ** 30 - 1]), tensor('int32', [1], [0]), 5);
    expect(checkAccumulators(edge)[0]!.headroomBits).toBe(0);
    const over = convGraph(tensor('int8', [1, 1, 1, 1, 1], [24]), tensor('int32', [1], [2 ** 30 - 1]), tensor('int32', [1], [1]), 5);
    expectDiag(() => checkAccumulators(over), 'SAC050');
    // A channel gain of 1 + 1/2 grows the edge case past int32 (2^31 - 1 + ceil((2^31 - 1) / 2)); 1/2 + 1/4 fits.
    const code24 = tensor('int8', [1, 1, 1, 1, 1], [24]);
    expectDiag(() => checkAccumulators(convGraph(code24, tensor('int32', [1], [2 ** 30 - 1]), tensor('int32', [1], [0]), 5, 'int8', tensor('int8', [1, 2], [1, 2]))), 'SAC050');
    const [shrunk] = checkAccumulators(convGraph(code24, tensor('int32', [1], [2 ** 30 - 1]), tensor('int32', [1], [0]), 5, 'int8', tensor('int8', [1, 2], [2, 3])));
    expect(shrunk!.worstBound).toBe(2 ** 30 + 2 ** 29);
  });
  it('CSD average pooling fits int32 for every window size with D = 16 (int8) and D = 14 (int16), not D = 16 for int16', () => {
    const pool = (dtype: 'int8' | 'int16', N: number, D: number) => {
      const b = new GraphBuilder('p', 13);
      const x = b.addValue('x', { dtype, shape: [1, 1, 1, N] });
      const attrs = { kernel: [1, N], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false, countIncludePad: false, global: false, digits: Array.from(csdDigits(1 / N, D)), shiftOut: D, bits: 8 };
      const [y] = b.addNode('avg', { kind: 'QAveragePool', attrs }, [x]);
      return b.finish([x], [y!]);
    };
    expect(() => checkAccumulators(pool('int8', 300, 16))).not.toThrow();
    expect(() => checkAccumulators(pool('int16', 300, csdFracDigits(16)))).not.toThrow();
    expect(csdFracDigits(8)).toBe(16);
    expectDiag(() => checkAccumulators(pool('int16', 11, 16)), 'SAC050');
  });
  it('runInteger runs a lowered graph bit-exactly and quantize/dequantize follow the doc', () => {
    const g = convGraph(tensor('int8', [2, 1, 1, 1, 1], [2, -1]), tensor('int32', [2], [0, 8]), tensor('int32', [2], [1, 0]), 2);
    const xq = quantizeInput(floatTensor([1, 1, 2, 2], [0.5, -0.25, 1.03125, 100]), 4, 8);
    expect(Array.from(xq.data)).toEqual([8, -4, 17, 127]); // 16.5 rounds half up to 17
    const [y] = runInteger(g, [xq]);
    // ch0: w = 2 -> rshr(2x, 1) = x, max = 127; ch1: w = -1, bias 8 -> max(8 - x) = 12
    expect(Array.from(y!.data)).toEqual([127, 12]);
    expect(Array.from(dequantizeOutput(y!, 4).data)).toEqual([127 / 16, 0.75]);
    expect(Array.from(quantizeInput(floatTensor([3], [-1e9, NaN, 2.5]), 0, 16).data)).toEqual([-32768, 0, 3]);
  });
  it('runInteger rejects graphs with float values (SAC051 naming the node)', () => {
    const b = new GraphBuilder('f', 13);
    const x = b.addValue('x', { dtype: 'int8', shape: [1, 4] });
    const [c] = b.addNode('tofloat', { kind: 'Cast', attrs: { to: 'float32' } } as Op, [x]);
    const [r] = b.addNode('relu', { kind: 'Relu', attrs: {} }, [c!]);
    let err: unknown;
    try { runInteger(b.finish([x], [r!]), [tensor('int8', [1, 4])]); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShiftaddcError);
    expect((err as ShiftaddcError).code).toBe('SAC051');
    expect((err as ShiftaddcError).where).toContain('tofloat');
  });
});

describe('structural ops are dtype-generic on int8', () => {
  const x = tensor('int8', [1, 2, 2, 2], [-128, 5, 7, -1, 127, 0, -3, 4]);
  const ops: Op[] = [
    { kind: 'MaxPool', attrs: { kernel: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0], dilations: [1, 1], ceilMode: false } },
    { kind: 'Concat', attrs: { axis: 1 } },
    { kind: 'Reshape', attrs: { shape: [2, 4] } },
    { kind: 'Transpose', attrs: { perm: [0, 2, 3, 1] } },
    { kind: 'Pad', attrs: { mode: 'constant', pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0 } },
    { kind: 'Slice', attrs: { starts: [1], ends: [2], axes: [1], steps: [1] } },
  ];
  for (const op of ops) {
    it(op.kind, () => {
      const y = run1(op, ...(op.kind === 'Concat' ? [x, x] : [x]));
      expect(y.dtype).toBe('int8');
      expect(y.data).toBeInstanceOf(Int8Array);
      const vals = new Set(Array.from(x.data).concat(0));
      for (const v of y.data) expect(vals.has(v)).toBe(true);
    });
  }
  it('MaxPool values', () => {
    const y = run1(ops[0]!, x);
    expect(Array.from(y.data)).toEqual([-128, 5, 7, 7, 127, 127, 127, 127]);
  });
});
