// WebAssembly backend, op by op: one graph per lowered-dialect op, bit-exact with runInteger on random and extreme inputs.
import { describe, expect, it } from 'vitest';
import { dotConvLayout } from '../src/backends/wasm/dot-conv.js';
import { emitWasm } from '../src/backends/wasm/emit.js';
import { shiftGeom } from '../src/backends/wasm/shift.js';
import { runWasm } from '../src/backends/wasm/run.js';
import { GraphBuilder, type Graph } from '../src/ir/graph.js';
import { runInteger } from '../src/ir/interp-int.js';
import { lrnIndexCount } from '../src/ir/ops/qlrn.js';
import { LOWERED_OPS, shiftParams, type LoweredKind } from '../src/ir/lowered.js';
import type { Op } from '../src/ir/registry.js';
import { csdDigits } from '../src/ir/fixed-point.js';
import { tensor } from '../src/ir/tensor.js';
import { ACT, node, oneOp, q, SAMPLES } from './helpers/dialect-samples.js';
import { mulberry32 } from './helpers/prng.js';
import { checkModule } from './helpers/wasm.js';

const inputs = (): [string, ReturnType<typeof tensor>][] => {
  const rng = mulberry32(7);
  return [
    ['random', tensor('int8', [1, 2, 4, 4], Array.from({ length: 32 }, () => Math.floor(rng() * 256) - 128))],
    ['all -128', tensor('int8', [1, 2, 4, 4], new Array(32).fill(-128))],
    ['all 127', tensor('int8', [1, 2, 4, 4], new Array(32).fill(127))],
  ];
};

describe('WebAssembly backend: every lowered-dialect op', () => {
  it('covers the dialect', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(LOWERED_OPS).sort());
  });
  for (const kind of Object.keys(SAMPLES) as LoweredKind[]) {
    it(`${kind}: scalar and SIMD valid, multiply-free, bit-exact on random and extreme inputs`, () => {
      const g = oneOp(SAMPLES[kind]);
      for (const simd of [false, true]) {
        checkModule(emitWasm(g, { simd }).bytes, `${kind}-${simd ? 'simd' : 'scalar'}`);
        for (const [what, x] of inputs()) {
          const want = runInteger(g, [x])[0]!;
          const got = runWasm(g, [x], simd)[0]!;
          expect(got.dtype, what).toBe(want.dtype);
          expect(got.shape, what).toEqual(want.shape);
          expect(Array.from(got.data), `${kind} ${what} simd=${simd}`).toEqual(Array.from(want.data));
        }
      }
    });
  }
});

/** Graph x -> body -> output, runInteger vs scalar and SIMD wasm on `runs` random inputs plus all -128 / all 127. */
function sweep(name: string, shape: number[], body: (b: GraphBuilder, x: number) => number, runs: number): void {
  const b = new GraphBuilder('dialect', 13);
  const x0 = b.addValue('x', { dtype: 'int8', shape }, { quant: q });
  const g = b.finish([x0], [body(b, x0)]);
  const n = shape.reduce((p, d) => p * d, 1);
  const rng = mulberry32(11);
  const xs = [new Array(n).fill(-128), new Array(n).fill(127), ...Array.from({ length: runs }, () => Array.from({ length: n }, () => Math.floor(rng() * 256) - 128))];
  for (const simd of [false, true]) {
    checkModule(emitWasm(g, { simd }).bytes, `${name}-${simd ? 'simd' : 'scalar'}`);
    for (const [r, d] of xs.entries()) {
      const x = tensor('int8', shape, d);
      expect(Array.from(runWasm(g, [x], simd)[0]!.data), `${name} input ${r} simd=${simd}`).toEqual(Array.from(runInteger(g, [x])[0]!.data));
    }
  }
}

describe('WebAssembly backend: QLrn and QGateMul beyond the one-op samples', () => {
  it('QLrn: N = 2, windows clipped at both ends (even and odd sizes), the whole exp table and both saturations', () => {
    const rng = mulberry32(3);
    for (const [size, mant] of [[1, 1], [4, 3], [5, 2]] as const) {
      const attrs = {
        size, mant, logFrac: 4, expMin: -40,
        pow: Array.from({ length: lrnIndexCount(size, mant) }, () => Math.floor(rng() * 120) - 100),
        log: Array.from({ length: 128 }, (_, i) => Math.round(16 * Math.log2(i + 1))),
        exp: Array.from({ length: 100 }, () => Math.floor(rng() * 128)),
      };
      sweep(`qlrn-${size}-${mant}`, [2, 6, 3, 1], node({ kind: 'QLrn', attrs }, (_b, x) => [x]), 6);
    }
  });
  it('QGateMul: per-channel gate, int16 activations, negative and positive shifts, zero gates with actMin > 0', () => {
    const gate = (b: GraphBuilder, x: number) => b.addNode('gate', { kind: 'GlobalMaxPool', attrs: {} }, [x], undefined, undefined, [q])[0]!;
    const wide = (b: GraphBuilder, x: number) => b.addNode('wide', { kind: 'Requantize', attrs: { shift: -5, bits: 16, actMin: -32768, actMax: 32767 } }, [x], undefined, undefined, [q])[0]!;
    const gm = (attrs: object, x: (b: GraphBuilder, x: number) => number) =>
      (b: GraphBuilder, x0: number) => node({ kind: 'QGateMul', attrs } as Op, (b2) => [x(b2, x0), gate(b2, x0)])(b, x0);
    sweep('gate-channel', [1, 3, 4, 4], gm({ fracX: 2, fracOut: 5, maxCode: 9, ...ACT }, (_b, x) => x), 6);
    sweep('gate-int16', [1, 3, 4, 4], gm({ fracX: 9, fracOut: 4, maxCode: 27, bits: 8, actMin: 3, actMax: 100 }, wide), 6);
    sweep('gate-int16-out', [1, 2, 3, 3], node({ kind: 'QGateMul', attrs: { fracX: 4, fracOut: 8, maxCode: 12, bits: 16, actMin: -32768, actMax: 32767 } }, (b, x) => [wide(b, x), x]), 6);
  });
});

describe('WebAssembly backend: the SIMD 2x2 average pool (simd-pool.ts)', () => {
  it('eight windows per step and a last step ending at the row end; int8 and int16 output, shifts > 0, 0, < 0', () => {
    const pool2 = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false };
    for (const [shape, shiftOut, bits] of [[[1, 2, 4, 16], 7, 8], [[2, 3, 6, 20], 7, 8], [[1, 1, 3, 35], 5, 16], [[1, 2, 2, 18], 0, 8], [[1, 1, 2, 16], -3, 16]] as const) {
      const attrs = { ...pool2, countIncludePad: true, global: false, digits: [...csdDigits(1 / 4, 7)], shiftOut, bits };
      sweep(`avg2x2-${shape.join('x')}-${shiftOut}-${bits}`, [...shape], node({ kind: 'QAveragePool', attrs } as Op, (_b, x) => [x]), 4);
    }
  });
});

describe('WebAssembly backend: the SIMD dot kernel with shifted and split weights (dot-conv.ts)', () => {
  it('channels whose weights share trailing zeros pair input channels (shifted); an odd weight beside one past int16 splits', () => {
    // M = 4 channels x C = 2 x 3x3 taps x K = 2 codes (B = 4: shifts 0..15, so 2^15 + 2^14 = 49152 fits no int16).
    const layer = (tag: string, codes: number[]) => (b: GraphBuilder, x: number): number => {
      const consts = {
        codes: b.addConst(`codes-${tag}`, tensor('int8', [4, 2, 3, 3, 2], codes)),
        bias: b.addConst(`bias-${tag}`, tensor('int32', [4], [3, -1, 100000, -7])),
        rshift: b.addConst(`rshift-${tag}`, tensor('int32', [4], [14, 13, 12, 15])),
        gain: b.addConst(`gain-${tag}`, tensor('int8', [4, 2], [1, 0, 2, -3, 0, 0, 1, 4])),
      };
      return b.addNode(`conv-${tag}`, { kind: 'ShiftConv', attrs: { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, terms: 2, shiftBits: 4, ...ACT } },
        shiftParams({ x, ...consts }), undefined, undefined, [q])[0]!;
    };
    const rng = mulberry32(5);
    // Per channel m the smallest shift allowed is m + 1 (codes >= m + 2): weights multiples of 2^(m + 1).
    const even = Array.from({ length: 144 }, (_, i) => { const m = Math.floor(i / 36); return i % 7 === 0 ? (i % 2 ? -16 : 16) : (rng() < 0.3 ? 0 : (m + 2 + Math.floor(rng() * (14 - m))) * (rng() < 0.5 ? -1 : 1)); });
    const odd = even.map((c, i) => (i === 40 ? 1 : c));
    for (const [tag, codes, want] of [['shifted', even, 'shifted'], ['split', odd, 'split']] as const) {
      const body = layer(tag, codes);
      const b = new GraphBuilder('dialect', 13);
      const x0 = b.addValue('x', { dtype: 'int8', shape: [1, 2, 6, 6] }, { quant: q });
      const g = b.finish([x0], [body(b, x0)]);
      const n = g.nodes.find((v) => v.op.kind === 'ShiftConv')!;
      const d = dotConvLayout(g, n, shiftGeom(g, n))!;
      expect(d.split ? 'split' : d.shifts ? 'shifted' : 'pairs', tag).toBe(want);
      sweep(`dot-${tag}`, [1, 2, 6, 6], body, 6);
    }
  });
});
