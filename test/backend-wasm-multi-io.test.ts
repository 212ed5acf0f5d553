// The generated loader on a graph with two inputs and two outputs: run([x0, x1]) -> [y0, y1], runInteger's bits; tuple types.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/backends/registry.js';
import { compile } from '../src/compile.js';
import { runInteger } from '../src/ir/interp-int.js';
import { calib, randn } from './backend-c-models.js';
import { modelGraph } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

type Arr = Int8Array | Int16Array | Float32Array;
interface Model { run(x: readonly Arr[]): Arr[]; runBatch(x: readonly Arr[], n?: number): Arr[]; inputs: readonly { name: string; shape: number[]; frac: number }[]; outputs: readonly { name: string }[] }

describe('WebAssembly loader: several graph inputs and outputs', () => {
  it('run and runBatch take one array per input and return one per output, equal to runInteger', async () => {
    const rng = mulberry32(21);
    const g0 = modelGraph({
      inputs: [{ name: 'a', shape: [1, 2, 6, 6] }, { name: 'b', shape: [1, 2, 6, 6] }],
      initializers: [{ name: 'w', dims: [4, 2, 3, 3], data: randn(rng, 72, 0.4) }],
      nodes: [
        { op: 'Add', inputs: ['a', 'b'], outputs: ['s'], name: 'sum' },
        { op: 'Conv', inputs: ['s', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv' },
        { op: 'Relu', inputs: ['c'], outputs: ['y1'], name: 'relu' },
        { op: 'MaxPool', inputs: ['s'], outputs: ['y2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
      ],
      outputs: ['y1', 'y2'],
    });
    const g = compile(g0, { calibration: [calib([1, 2, 6, 6], 3), calib([1, 2, 6, 6], 4)], terms: 2 }).graph;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-wasm-multi-'));
    for (const f of emit(g, 'wasm', { name: 'two' }).files) fs.writeFileSync(path.join(dir, f.name), f.data);
    const dts = fs.readFileSync(path.join(dir, 'two.d.ts'), 'utf8');
    expect(dts).toContain('run(input: readonly [Int8Array, Int8Array]): [Int16Array, Int8Array];');
    const L = (await import(pathToFileURL(path.join(dir, 'two.mjs')).href)) as { load(): Promise<Model> };
    const m = await L.load();
    expect(m.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(m.outputs.map((o) => o.name)).toEqual(['y1', 'y2']);
    const n = 3;
    const xs = [0, 1].map(() => Int8Array.from({ length: n * 72 }, () => Math.floor(rng() * 256) - 128));
    const want = runInteger(g, xs.map((x, k) => ({ dtype: 'int8' as const, shape: [n, 2, 6, 6], data: x })));
    const got = m.runBatch(xs, n);
    expect(got.map((t) => Array.from(t))).toEqual(want.map((t) => Array.from(t.data)));
    const one = m.run(xs.map((x) => x.subarray(0, 72)));
    expect(one.map((t) => Array.from(t))).toEqual(want.map((t) => Array.from(t.data.subarray(0, t.data.length / n))));
    expect(() => m.run([xs[0]!.subarray(0, 72)])).toThrow(TypeError);
  });
});
