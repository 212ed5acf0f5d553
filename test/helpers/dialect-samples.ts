// One small graph per lowered-dialect op, shared by the tests that hold every backend to the whole dialect.
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { csdDigits } from '../../src/ir/fixed-point.js';
import { lrnIndexCount } from '../../src/ir/ops/qlrn.js';
import { shiftParams, type LoweredKind } from '../../src/ir/lowered.js';
import type { Op } from '../../src/ir/registry.js';
import { tensor } from '../../src/ir/tensor.js';

export const ACT = { bits: 8, actMin: -128, actMax: 127 };
export const q = { frac: 4 };

/** x: int8 [1, 2, 4, 4] (frac 4) -> the op built by `body` -> output. */
export function oneOp(body: (b: GraphBuilder, x: number) => number): Graph {
  const b = new GraphBuilder('dialect', 13);
  const x = b.addValue('x', { dtype: 'int8', shape: [1, 2, 4, 4] }, { quant: q });
  return b.finish([x], [body(b, x)]);
}

export const node = (op: Op, inputs: (b: GraphBuilder, x: number) => number[]) => (b: GraphBuilder, x: number): number =>
  b.addNode(`the-${op.kind}`, op, inputs(b, x), undefined, undefined, [q])[0]!;

export const pool = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false };
export const shiftConsts = (b: GraphBuilder, codes: ReturnType<typeof tensor>) => ({
  codes: b.addConst('codes', codes),
  bias: b.addConst('bias', tensor('int32', [2], [3, -1])),
  rshift: b.addConst('rshift', tensor('int32', [2], [1, 0])),
  gain: b.addConst('gain', tensor('int8', [2, 2], [1, 0, 2, -3])),
});
export const flat = (b: GraphBuilder, x: number) => b.addNode('flat', { kind: 'Reshape', attrs: { shape: [1, 32] } }, [x], undefined, undefined, [q])[0]!;

/** One small graph per dialect op (the keys must be exactly the dialect's ops). */
export const SAMPLES: Record<LoweredKind, (b: GraphBuilder, x: number) => number> = {
  ShiftConv: node({ kind: 'ShiftConv', attrs: { ...pool, kernel: [1, 1], strides: [1, 1], group: 1, terms: 2, shiftBits: 2, ...ACT } },
    (b, x) => shiftParams({ x, ...shiftConsts(b, tensor('int8', [2, 2, 1, 1, 2], [1, -2, 0, 3, 4, 0, -1, 1])) })),
  ShiftGemm: (b, x) => node({ kind: 'ShiftGemm', attrs: { terms: 1, shiftBits: 2, ...ACT } },
    (b2) => shiftParams({ x: flat(b2, x), ...shiftConsts(b2, tensor('int8', [2, 32, 1], Array.from({ length: 64 }, (_, i) => (i % 5) - 2))) }))(b, x),
  AdderConv: node({ kind: 'AdderConv', attrs: { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, ...ACT } },
    (b, x) => [x, b.addConst('weights', tensor('int8', [2, 2, 3, 3], Array.from({ length: 36 }, (_, i) => ((i * 53) % 241) - 120))),
      b.addConst('bias', tensor('int32', [2], [700, -40])), b.addConst('rshift', tensor('int32', [2], [5, 3])), b.addConst('gain', tensor('int8', [2, 2], [1, 0, 2, -3]))]),
  QAdd: node({ kind: 'QAdd', attrs: { fracA: 4, fracB: 4, fracOut: 3, ...ACT } }, (_b, x) => [x, x]),
  Requantize: node({ kind: 'Requantize', attrs: { shift: 1, ...ACT } }, (_b, x) => [x]),
  Lut: node({ kind: 'Lut', attrs: { table: Array.from({ length: 256 }, (_, i) => (i >> 1) - 64) } }, (_b, x) => [x]),
  QAveragePool: node({ kind: 'QAveragePool', attrs: { ...pool, countIncludePad: true, global: false, digits: [...csdDigits(1 / 4, 7)], shiftOut: 7, bits: 8 } }, (_b, x) => [x]),
  QGateMul: node({ kind: 'QGateMul', attrs: { fracX: 4, fracOut: 3, maxCode: 6, ...ACT } }, (_b, x) => [x, x]),
  QLrn: node({ kind: 'QLrn', attrs: { size: 3, mant: 2, logFrac: 2, pow: Array.from({ length: lrnIndexCount(3, 2) }, (_, i) => -i), log: Array.from({ length: 128 }, (_, i) => Math.round(4 * Math.log2(i + 1))), exp: [0, 1, 1, 2, 3, 4, 6, 8], expMin: -4 } }, (_b, x) => [x]),
  Relu: node({ kind: 'Relu', attrs: {} }, (_b, x) => [x]),
  MaxPool: node({ kind: 'MaxPool', attrs: pool }, (_b, x) => [x]),
  GlobalMaxPool: node({ kind: 'GlobalMaxPool', attrs: {} }, (_b, x) => [x]),
  Reshape: node({ kind: 'Reshape', attrs: { shape: [1, 32] } }, (_b, x) => [x]),
  Identity: node({ kind: 'Identity', attrs: {} }, (_b, x) => [x]),
  Transpose: node({ kind: 'Transpose', attrs: { perm: [0, 2, 3, 1] } }, (_b, x) => [x]),
  Slice: node({ kind: 'Slice', attrs: { starts: [1], ends: [3], axes: [2], steps: [1] } }, (_b, x) => [x]),
  Pad: node({ kind: 'Pad', attrs: { mode: 'constant', pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0 } }, (_b, x) => [x]),
  Concat: node({ kind: 'Concat', attrs: { axis: 1 } }, (_b, x) => [x, x]),
};
