// WebAssembly backend on the test models and the four examples: bit-exact with runInteger, valid, multiply-free, deterministic.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitWasm } from '../src/backends/wasm/emit.js';
import { runWasm } from '../src/backends/wasm/run.js';
import { emit, integerRunner } from '../src/backends/registry.js';
import { compile } from '../src/compile.js';
import { loadModel } from '../src/api.js';
import type { Graph } from '../src/ir/graph.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { readNpy } from '../src/io/npy.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { CASES, compileCase, conv1d, geometryCnn, randn, tinyCnn } from './backend-c-models.js';
import type { ModelSpec } from './helpers/onnx-builder.js';
import { dotConvLayout } from '../src/backends/wasm/dot-conv.js';
import { shiftGeom } from '../src/backends/wasm/shift.js';
import { checkModule } from './helpers/wasm.js';
import { mulberry32 } from './helpers/prng.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const slice = (t: Tensor, a: number, b: number): Tensor => {
  const per = numel(t.shape.slice(1));
  return tensor(t.dtype, [b - a, ...t.shape.slice(1)], t.data.subarray(a * per, b * per));
};

/** Random, all-minimum and all-maximum integer inputs of the graph's input type, `n` samples each. */
export function extremeInputs(g: Graph, n = 2): [string, Tensor][] {
  const x = g.values[g.inputs[0]!]!.type;
  const per = numel(x.shape.slice(1));
  const bits = x.dtype === 'int16' ? 16 : 8;
  const rng = mulberry32(11);
  const make = (f: () => number) => tensor(x.dtype, [n, ...x.shape.slice(1)], Array.from({ length: n * per }, f));
  return [['random', make(() => Math.floor(rng() * 2 ** bits) - 2 ** (bits - 1))], ['all min', make(() => -(2 ** (bits - 1)))], ['all max', make(() => 2 ** (bits - 1) - 1)]];
}

/** Both variants (scalar, SIMD) against runInteger, byte for byte. */
function expectSame(g: Graph, x: Tensor, what: string): void {
  for (const simd of [false, true]) expectVariant(g, x, `${what} simd=${simd}`, simd);
}

function expectVariant(g: Graph, x: Tensor, what: string, simd: boolean): void {
  const want = runInteger(g, [x]);
  const got = runWasm(g, [x], simd);
  expect(got.length).toBe(want.length);
  got.forEach((t, k) => {
    expect(t.shape, what).toEqual(want[k]!.shape);
    expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(want[k]!.data.buffer, want[k]!.data.byteOffset, want[k]!.data.byteLength)), what).toBe(true);
  });
}

describe('WebAssembly backend on the C backend test models', () => {
  for (const make of CASES) {
    const c = make();
    it(`${c.name}: bit-exact on random and extreme inputs, valid, multiply-free`, () => {
      checkModule(emitWasm(c.graph).bytes, c.name);
      checkModule(emitWasm(c.graph, { simd: true }).bytes, `${c.name}-simd`);
      for (const [what, x] of extremeInputs(c.graph)) expectSame(c.graph, x, `${c.name} ${what}`);
    });
  }
});

/** Ordinary convs only (no lookup tables, so int16 activations lower): 3x3 stride 2 (M = 8) and 1x1 (M = 4), then a Gemm. */
function plainCnn(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  return {
    inputs: [{ name: 'x', shape: [1, 6, 9, 10] }],
    initializers: [
      { name: 'w1', dims: [8, 6, 3, 3], data: randn(rng, 432, 0.3) }, { name: 'b1', dims: [8], data: randn(rng, 8, 0.1) },
      { name: 'w2', dims: [4, 8, 1, 1], data: randn(rng, 32, 0.4) }, { name: 'wf', dims: [3, 4], data: randn(rng, 12, 0.5) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, name: 'conv1' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
      { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['c2'], name: 'conv2' },
      { op: 'GlobalAveragePool', inputs: ['c2'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flatten' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

describe('WebAssembly SIMD dot kernel (dot-conv.ts) in each layout', () => {
  // Narrow shift windows give int16 weights (input-channel pairs), int16 activations too; the default window
  // gives weights past int16 on int8 inputs, here each channel's a multiple of a power of two that brings them
  // back into int16 (shifted pairs): all bit-exact, both variants.
  const cases = [
    compileCase('tiny_b2', tinyCnn(2), { shiftBits: 2 }), compileCase('geom_b2', geometryCnn(6), { shiftBits: 2 }),
    compileCase('oned_b2', conv1d(7), { shiftBits: 2 }), compileCase('geom16_b2', geometryCnn(9), { actBits: 16, shiftBits: 2 }),
    compileCase('plain16_b2', plainCnn(8), { actBits: 16, shiftBits: 2 }), compileCase('plain_b2', plainCnn(4), { shiftBits: 2 }), compileCase('tiny_b4', tinyCnn(5)),
  ];
  it('covers pairs (int8 and int16 inputs) and shifted weights, and matches runInteger', () => {
    const seen = new Set<string>();
    for (const c of cases) {
      for (const n of c.graph.nodes) {
        if (n.op.kind !== 'ShiftConv') continue;
        const d = dotConvLayout(c.graph, n, shiftGeom(c.graph, n));
        if (d) seen.add(`${d.split ? 'split' : d.shifts ? 'shifted' : 'pairs'} ${c.graph.values[n.inputs[0]!]!.type.dtype}`);
      }
      for (const [what, x] of extremeInputs(c.graph)) expectSame(c.graph, x, `${c.name} ${what}`);
    }
    // The default window's int8 layers here have weights sharing trailing zeros per channel: shifted pairs. The
    // split layout is held to runInteger by backend-wasm-ops (an odd weight beside one past int16) and the examples.
    expect([...seen].sort()).toEqual(['pairs int16', 'pairs int8', 'shifted int8']);
  });
});

describe('WebAssembly backend on the examples', () => {
  const calib = slice(readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib'), 0, 32);
  const images = readNpy(fs.readFileSync(`${EX}data/test-images-16.npy`), 'images');
  for (const m of ['lenet', 'resnet', 'dwsep', 'squeeze']) for (const terms of [1, 2]) {
    it(`${m} --terms ${terms}: matches runInteger on the test images and extreme inputs; deterministic bytes`, () => {
      const graph = compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], terms }).graph;
      const mod = emitWasm(graph);
      const simd = emitWasm(graph, { simd: true });
      checkModule(mod.bytes, `${m}-k${terms}`);
      checkModule(simd.bytes, `${m}-k${terms}-simd`);
      expect(Buffer.from(emitWasm(graph).bytes).equals(Buffer.from(mod.bytes))).toBe(true);
      expect(Buffer.from(emitWasm(graph, { simd: true }).bytes).equals(Buffer.from(simd.bytes))).toBe(true);
      const x = graph.values[graph.inputs[0]!]!;
      expectSame(graph, quantizeInput(images, x.quant?.frac ?? 0, 8), `${m} images`);
      for (const [what, xs] of extremeInputs(graph)) expectSame(graph, xs, `${m} ${what}`);
      // Through the registry, as the CLI does: the files, and the runner `--backend wasm` selects.
      const out = emit(graph, 'wasm', { name: m });
      expect(out.files.map((f) => f.name)).toEqual([`${m}.wasm`, `${m}.scalar.wasm`, `${m}.mjs`, `${m}.d.ts`]);
      expect(out.stats.terms).toBeGreaterThan(0);
      const run = integerRunner('wasm', {}, { model: `${m}.onnx` });
      expect(run(graph, [xs0(graph)])[0]!.data).toEqual(runInteger(graph, [xs0(graph)])[0]!.data);
      console.log(`${m} K=${terms}: module ${mod.bytes.length} B (SIMD ${simd.bytes.length} B) (data ${mod.dataBytes} B, term codes ${mod.weightBytes} B), memory ${mod.memory.totalBytes} B`);
    });
  }
});

const xs0 = (g: Graph) => extremeInputs(g, 1)[0]![1];
