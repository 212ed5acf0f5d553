// The lowered dialect (src/ir/lowered.ts): the verifier rejects what is outside it, naming the node; lowering
// rejects Split and Gather; and every dialect op has a C kernel (a sample per op, emitted by the C backend).
import { describe, expect, it } from 'vitest';
import { emitC } from '../src/backends/c/emit.js';
import { backends, emit } from '../src/backends/registry.js';
import { compile } from '../src/compile.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import { GraphBuilder, type Graph } from '../src/ir/graph.js';
import { runInteger } from '../src/ir/interp-int.js';
import { csdDigits } from '../src/ir/fixed-point.js';
import { lrnIndexCount } from '../src/ir/ops/qlrn.js';
import { LOWERED_OPS, SHIFT_OPERANDS, shiftParams, type LoweredKind } from '../src/ir/lowered.js';
import type { Op } from '../src/ir/registry.js';
import { tensor } from '../src/ir/tensor.js';
import { verifyGraph } from '../src/ir/verify.js';

const ACT = { bits: 8, actMin: -128, actMax: 127 };
const q = { frac: 4 };

function diagnostic(f: () => unknown): ShiftaddcError {
  try { f(); } catch (e) { if (e instanceof ShiftaddcError) return e; throw e; }
  throw new Error('expected a ShiftaddcError');
}

/** x: int8 [1, 2, 4, 4] (frac 4) -> the op built by `body` -> output. */
function oneOp(body: (b: GraphBuilder, x: number) => number): Graph {
  const b = new GraphBuilder('dialect', 13);
  const x = b.addValue('x', { dtype: 'int8', shape: [1, 2, 4, 4] }, { quant: q });
  return b.finish([x], [body(b, x)]);
}

const node = (op: Op, inputs: (b: GraphBuilder, x: number) => number[]) => (b: GraphBuilder, x: number): number =>
  b.addNode(`the-${op.kind}`, op, inputs(b, x), undefined, undefined, [q])[0]!;

const pool = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false };
const shiftConsts = (b: GraphBuilder, codes: ReturnType<typeof tensor>) => ({
  codes: b.addConst('codes', codes),
  bias: b.addConst('bias', tensor('int32', [2], [3, -1])),
  rshift: b.addConst('rshift', tensor('int32', [2], [1, 0])),
  gain: b.addConst('gain', tensor('int8', [2, 2], [1, 0, 2, -3])),
});
const flat = (b: GraphBuilder, x: number) => b.addNode('flat', { kind: 'Reshape', attrs: { shape: [1, 32] } }, [x], undefined, undefined, [q])[0]!;

/** One small graph per dialect op (the keys must be exactly the dialect's ops). */
const SAMPLES: Record<LoweredKind, (b: GraphBuilder, x: number) => number> = {
  ShiftConv: node({ kind: 'ShiftConv', attrs: { ...pool, kernel: [1, 1], strides: [1, 1], group: 1, terms: 2, shiftBits: 2, ...ACT } },
    (b, x) => shiftParams({ x, ...shiftConsts(b, tensor('int8', [2, 2, 1, 1, 2], [1, -2, 0, 3, 4, 0, -1, 1])) })),
  ShiftGemm: (b, x) => node({ kind: 'ShiftGemm', attrs: { terms: 1, shiftBits: 2, ...ACT } },
    (b2) => shiftParams({ x: flat(b2, x), ...shiftConsts(b2, tensor('int8', [2, 32, 1], Array.from({ length: 64 }, (_, i) => (i % 5) - 2))) }))(b, x),
  QAdd: node({ kind: 'QAdd', attrs: { fracA: 4, fracB: 4, fracOut: 3, ...ACT } }, (_b, x) => [x, x]),
  Requantize: node({ kind: 'Requantize', attrs: { shift: 1, ...ACT } }, (_b, x) => [x]),
  Lut: node({ kind: 'Lut', attrs: { table: Array.from({ length: 256 }, (_, i) => (i >> 1) - 64) } }, (_b, x) => [x]),
  QAveragePool: node({ kind: 'QAveragePool', attrs: { ...pool, countIncludePad: true, global: false, digits: [...csdDigits(1 / 4, 7)], shiftOut: 7, bits: 8 } }, (_b, x) => [x]),
  Relu: node({ kind: 'Relu', attrs: {} }, (_b, x) => [x]),
  QGateMul: node({ kind: 'QGateMul', attrs: { fracX: 4, fracOut: 3, maxCode: 6, ...ACT } }, (_b, x) => [x, x]),
  QLrn: node({ kind: 'QLrn', attrs: { size: 3, mant: 2, logFrac: 2, pow: Array.from({ length: lrnIndexCount(3, 2) }, (_, i) => -i), log: Array.from({ length: 128 }, (_, i) => Math.round(4 * Math.log2(i + 1))), exp: [0, 1, 1, 2, 3, 4, 6, 8], expMin: -4 } }, (_b, x) => [x]),
  MaxPool: node({ kind: 'MaxPool', attrs: pool }, (_b, x) => [x]),
  GlobalMaxPool: node({ kind: 'GlobalMaxPool', attrs: {} }, (_b, x) => [x]),
  Reshape: node({ kind: 'Reshape', attrs: { shape: [1, 32] } }, (_b, x) => [x]),
  Identity: node({ kind: 'Identity', attrs: {} }, (_b, x) => [x]),
  Transpose: node({ kind: 'Transpose', attrs: { perm: [0, 2, 3, 1] } }, (_b, x) => [x]),
  Slice: node({ kind: 'Slice', attrs: { starts: [1], ends: [3], axes: [2], steps: [1] } }, (_b, x) => [x]),
  Pad: node({ kind: 'Pad', attrs: { mode: 'constant', pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0 } }, (_b, x) => [x]),
  Concat: node({ kind: 'Concat', attrs: { axis: 1 } }, (_b, x) => [x, x]),
};

describe('lowered dialect', () => {
  it('every dialect op has a C kernel (adding an op to the dialect without one fails here)', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(LOWERED_OPS).sort());
    for (const kind of Object.keys(LOWERED_OPS) as LoweredKind[]) {
      const g = oneOp(SAMPLES[kind]);
      expect(g.nodes.map((n) => n.op.kind)).toContain(kind);
      verifyGraph(g, 'lower-to-shift');
      const x = tensor('int8', [1, 2, 4, 4], Array.from({ length: 32 }, (_, i) => ((i * 37) % 251) - 125));
      expect(runInteger(g, [x])[0]!.data.length).toBeGreaterThan(0);
      let c: ReturnType<typeof emitC> | undefined;
      expect(() => { c = emitC(g, { name: 'dialect' }); }, kind).not.toThrow();
      // The node got a C function of its own, called from the run function.
      expect(c!.source).toContain(`); // the-${kind}\n`);
    }
  });

  it('every registered backend emits every dialect op (a new backend or a new op without a kernel fails here)', () => {
    expect(backends().length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const b of backends()) {
      for (const kind of Object.keys(LOWERED_OPS) as LoweredKind[]) {
        try {
          expect(emit(oneOp(SAMPLES[kind]), b.name, {}, { model: 'dialect.onnx' }).files.length, `${b.name} ${kind}`).toBeGreaterThan(0);
        } catch (e) {
          failures.push(`backend ${b.name}, op ${kind}: ${(e as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('the verifier rejects a non-dialect op after lower-to-shift, naming the node', () => {
    // An int8 -> int16 Cast: every dtype is legal, only the op is outside the dialect.
    const g = oneOp((b, x) => b.addNode('widen', { kind: 'Cast', attrs: { to: 'int16' } } as Op, [x], undefined, undefined, [q])[0]!);
    expect(() => verifyGraph(g, 'canonicalize')).not.toThrow();
    const e = diagnostic(() => verifyGraph(g, 'lower-to-shift'));
    expect(e.code).toBe('SAC051');
    expect(e.where).toBe("node 'widen' (Cast)");
    expect(e.message).toMatch(/op Cast is not in the lowered dialect/);
    expect(diagnostic(() => runInteger(g, [tensor('int8', [1, 2, 4, 4])])).code).toBe('SAC051');
    expect(diagnostic(() => emitC(g, { name: 'bad' })).where).toBe("node 'widen' (Cast)");
  });

  it('the verifier checks operand roles: constants, dtypes, the optional gain', () => {
    const b = new GraphBuilder('roles', 13);
    const x = b.addValue('x', { dtype: 'int8', shape: [1, 4] }, { quant: q });
    const codes = b.addValue('codes_in', { dtype: 'int8', shape: [2, 4, 1] }, { quant: q });
    const bias = b.addConst('bias', tensor('int32', [2], [0, 0]));
    const rshift = b.addConst('rshift', tensor('int32', [2], [0, 0]));
    const [y] = b.addNode('fc', { kind: 'ShiftGemm', attrs: { terms: 1, shiftBits: 2, ...ACT } }, shiftParams({ x, codes, bias, rshift }), undefined, undefined, [q]);
    const e = diagnostic(() => verifyGraph(b.finish([x, codes], [y!]), 'lower-to-shift'));
    expect(e.where).toBe("node 'fc' (ShiftGemm)");
    expect(e.message).toMatch(/operand codes 'codes_in' must be a constant/);
    // The roles are the positions every reader uses.
    expect(shiftParams({ x: 10, codes: 11, bias: 12, rshift: 13 })).toEqual([10, 11, 12, 13]);
    expect(shiftParams({ x: 10, codes: 11, bias: 12, rshift: 13, gain: 14 })[SHIFT_OPERANDS.gain]).toBe(14);
    const f = oneOp((b2, x2) => b2.addNode('relu', { kind: 'Relu', attrs: {} }, [b2.addConst('k', tensor('int32', [1, 2, 4, 4]))], undefined, undefined, [q])[0]!);
    expect(diagnostic(() => verifyGraph(f, 'lower-to-shift')).message).toMatch(/operand x 'k' is int32, the dialect takes int8\/int16/);
  });

  it.each(['Split', 'Gather'] as const)('lowering rejects %s naming the node (no backend kernel)', (kind) => {
    const b = new GraphBuilder('g', 13);
    const x = b.addValue('x', { dtype: 'float32', shape: [1, 4, 2, 2] });
    const op: Op = kind === 'Split' ? { kind, attrs: { axis: 1, split: [2, 2] } } : { kind, attrs: { axis: 1 } };
    const inputs = kind === 'Split' ? [x] : [x, b.addConst('idx', tensor('int64', [2], [3, 0]))];
    const outs = b.addNode(`my-${kind}`, op, inputs);
    const calib = tensor('float32', [8, 4, 2, 2], Array.from({ length: 128 }, (_, i) => Math.sin(i)));
    const e = diagnostic(() => compile(b.finish([x], outs), { calibration: [calib] }));
    expect(e.code).toBe('SAC052');
    expect(e.where).toBe(`node 'my-${kind}' (${kind})`);
    expect(e.message).toMatch(/not in the lowered dialect/);
  });

  it('refuses a graph whose constants are too many for C text (SAC065 naming the largest layer)', () => {
    const g = oneOp(SAMPLES.ShiftConv);
    expect(diagnostic(() => emitC(g, { name: 'big', maxConstElements: 4 })).code).toBe('SAC065');
    expect(diagnostic(() => emitC(g, { name: 'big', maxConstElements: 4 })).where).toContain('ShiftConv');
    expect(() => emitC(g, { name: 'big' })).not.toThrow();
  });
});
