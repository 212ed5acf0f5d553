// C backend past the C text limit: large tables go to NAME_weights.bin (NAME_weights.S includes it); still bit-exact.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOB_MIN_ELEMENTS } from '../src/backends/c/blob.js';
import { emitC } from '../src/backends/c/emit.js';
import { writeSources as writeCache } from '../src/backends/c/host.js';
import type { WeightForm } from '../src/backends/c/kernel.js';
import { buildHost, runHost } from '../src/backends/c/run.js';
import { compile } from '../src/compile.js';
import { loadModel } from '../src/api.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { readNpy } from '../src/io/npy.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { binaryStars, build, CACHE, STRICT, testMain } from './backend-c-harness.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const slice = (t: Tensor, a: number, b: number): Tensor => {
  const per = numel(t.shape.slice(1));
  return tensor('float32', [b - a, ...t.shape.slice(1)], t.data.subarray(a * per, b * per));
};

describe('C weights blob', () => {
  const calib = slice(readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib'), 0, 16);
  const images = readNpy(fs.readFileSync(`${EX}data/test-images-16.npy`), 'images');
  const graph = compile(loadModel(`${EX}lenet.onnx`), { calibration: [calib], terms: 2 }).graph;
  const x = graph.values[graph.inputs[0]!]!;
  const xs = Array.from({ length: 4 }, (_, i) => quantizeInput(slice(images, i, i + 1), x.quant?.frac ?? 0, 8));
  const want = xs.flatMap((t) => runInteger(graph, [t]));

  for (const weights of ['auto', 'data', 'packed'] as WeightForm[]) {
    it(`lenet ${weights}: tables of ${BLOB_MIN_ELEMENTS}+ elements in the blob, gcc -O2 (strict) matches runInteger, Cortex-M0 assembles it`, () => {
      const c = emitC(graph, { name: 'lenet', weights, maxConstElements: 0 });
      expect(c.weights).toBeDefined();
      const bin = c.weights!.bin;
      // Every table the blob holds is a macro into it, at a 16-byte aligned offset inside the blob.
      const macros = [...c.source.matchAll(/^#define (\w+) \(\(const (\w+) \*\)\(const void \*\)\(lenet_weights \+ (\d+)\)\)$/gm)];
      expect(macros.length).toBeGreaterThan(0);
      for (const m of macros) {
        expect(Number(m[3]) % 16).toBe(0);
        expect(Number(m[3])).toBeLessThan(bin.length);
        expect(c.source).not.toContain(`static const ${m[2]} ${m[1]}[`);
      }
      // No printed table is that large any more.
      for (const m of c.source.matchAll(/static const \w+ \w+\[(\d+)\]/g)) expect(Number(m[1])).toBeLessThan(BLOB_MIN_ELEMENTS);
      expect(binaryStars(c.source)).toEqual([]);
      expect(c.flash.weightBytes).toBe(emitC(graph, { name: 'lenet', weights }).flash.weightBytes);
      const inT = c.header.match(/int \w+_run\(const (\w+) \*in/)![1]!;
      const outT = c.header.match(/int \w+_run\(const \w+ \*in, (\w+) \*out/)![1]!;
      const src = writeCache(CACHE, 'lenet', {
        'lenet.h': c.header, 'lenet.c': c.source, 'lenet_io.c': c.io, 'main.c': testMain('lenet', inT, outT),
        'lenet_weights.S': c.weights!.asm, 'lenet_weights.bin': bin,
      });
      const exe = build('gcc', [...STRICT, '-O2'], src);
      const bytes = (ts: readonly Tensor[]) => Buffer.concat(ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
      const got = execFileSync(exe, ['run', String(xs.length)], { input: bytes(xs) });
      expect(got.equals(bytes(want))).toBe(true);
      const asm = src.files.find((f) => f.endsWith('.S'))!;
      const obj = build('arm-none-eabi-gcc', ['-mcpu=cortex-m0', '-mthumb'], src, [asm], true);
      const size = execFileSync('arm-none-eabi-nm', ['-S', obj], { encoding: 'utf8' });
      expect(size).toMatch(/lenet_weights/);
      expect(fs.statSync(path.join(src.dir, 'lenet_weights.bin')).size).toBe(bin.length);
    });
  }

  it('the host runner builds and runs a blob build (run/eval --backend c)', () => {
    const p = buildHost(graph, { name: 'lenet', cacheDir: CACHE, maxConstElements: 0 });
    expect(fs.existsSync(path.join(path.dirname(p.path), 'lenet_weights.bin'))).toBe(true);
    const batch = tensor('int8', [xs.length, ...xs[0]!.shape.slice(1)], Int8Array.from(xs.flatMap((t) => Array.from(t.data))));
    expect(Array.from(runHost(p, [batch])[0]!.data)).toEqual(want.flatMap((t) => Array.from(t.data)));
  });
});
