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
import { CASES } from './backend-c-models.js';
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
