// C backend on the example models (LeNet, ResNet-8, depthwise-separable, SqueezeNet-style): bit-exact and multiply-free.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitC } from '../src/backends/c/emit.js';
import { compile, type CompileOptions } from '../src/compile.js';
import type { WeightForm } from '../src/backends/c/kernel.js';
import { loadModel } from '../src/api.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { readNpy } from '../src/io/npy.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { build, runBin, STRICT, testMain, writeSources } from './backend-c-harness.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const slice = (t: Tensor, a: number, b: number): Tensor => {
  const per = numel(t.shape.slice(1));
  return tensor('float32', [b - a, ...t.shape.slice(1)], t.data.subarray(a * per, b * per));
};

describe('C backend on the example models', () => {
  const calib = slice(readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib'), 0, 32);
  const images = readNpy(fs.readFileSync(`${EX}data/test-images-16.npy`), 'images');
  // The default weights (auto) at K = 2 and K = 1 (lenet's fc1 takes the dense stream with a widened shift field
  // there), and the Huffman-packed form in every configuration of bench/flash.
  const RUNS: { opts: CompileOptions; weights?: WeightForm }[] = [
    { opts: { terms: 2 } },
    { opts: { terms: 1 } },
    { opts: { terms: 1 }, weights: 'packed' },
    { opts: { terms: 2 }, weights: 'packed' },
    { opts: { terms: 2, avgTerms: 1.5 }, weights: 'packed' },
    { opts: { terms: 2, prune: 0.5 }, weights: 'packed' },
  ];
  for (const m of ['lenet', 'resnet', 'dwsep', 'squeeze']) for (const { opts, weights } of RUNS) {
    it(`${m} ${JSON.stringify(opts)} ${weights ?? 'auto'}: gcc -O2 matches runInteger; Cortex-M0 -Os has no multiply`, () => {
      const t0 = performance.now();
      // A shipped example must compile in every configuration: a rejection (e.g. SAC050) fails the test.
      const graph = compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], ...opts }).graph;
      const t1 = performance.now();
      const c = emitC(graph, { name: m, ...(weights ? { weights } : {}) });
      const x = graph.values[graph.inputs[0]!]!;
      const xs = Array.from({ length: images.shape[0]! }, (_, i) => quantizeInput(slice(images, i, i + 1), x.quant?.frac ?? 0, 8));
      const inT = c.header.match(/int \w+_run\(const (\w+) \*in/)![1]!;
      const outT = c.header.match(/int \w+_run\(const \w+ \*in, (\w+) \*out/)![1]!;
      const src = writeSources(m, c, testMain(m, inT, outT));
      const bytes = (ts: readonly Tensor[]) => Buffer.concat(ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
      const want = bytes(xs.flatMap((t) => runInteger(graph, [t])));
      const got = runBin(build('gcc', [...STRICT, '-O2'], src), ['run', String(xs.length)], bytes(xs));
      expect(got.equals(want)).toBe(true);
      const obj = build('arm-none-eabi-gcc', [...STRICT, '-mcpu=cortex-m0', '-mthumb', '-Os'], src, [src.files[0]!], true);
      const dis = execFileSync('arm-none-eabi-objdump', ['-d', obj], { encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(dis.match(/\t(muls|mul|sdiv|udiv)\b.*/)?.[0] ?? null).toBeNull();
      expect(execFileSync('arm-none-eabi-nm', ['-u', obj], { encoding: 'utf8' })).not.toMatch(/__aeabi|__mul|__div/);
      const f = c.flash;
      console.log(`${m} ${JSON.stringify(opts)} ${weights ?? 'auto'}: compile ${((t1 - t0) / 1000).toFixed(1)} s; arena ${c.memory.arenaBytes} B (lower bound ${c.memory.lowerBound} B, no reuse ${c.memory.naiveBytes} B); `
        + `${f.terms} terms (${f.codeTerms} as code), packed ${f.weightBytes} B vs ideal ${f.idealBytes} B (${(f.weightBytes / f.idealBytes).toFixed(2)}x) + bias/shift ${f.paramBytes} B`);
    });
  }
});
