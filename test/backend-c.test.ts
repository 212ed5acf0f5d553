// C backend: generated C built with gcc/clang (strict, -O0/-O2, ASan+UBSan) matches runInteger bit for bit.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/graph.js';
import { dequantizeOutput, quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { allocData, numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { build, runBin, STRICT, testMain, writeSources } from './backend-c-harness.js';
import { CASES, randn, type Case } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

/** Random integer inputs: uniform over the full range, every 4th sample pinned to the extremes. */
function inputs(g: Graph, n: number, seed: number): Tensor[] {
  const rng = mulberry32(seed);
  const v = g.values[g.inputs[0]!]!;
  const bits = v.type.dtype === 'int16' ? 16 : 8;
  const lo = -(2 ** (bits - 1));
  return Array.from({ length: n }, (_, k) => {
    const t = tensor(v.type.dtype, v.type.shape, allocData(v.type.dtype, numel(v.type.shape)));
    for (let i = 0; i < t.data.length; i++) t.data[i] = k % 4 === 3 ? (rng() < 0.5 ? lo : -lo - 1) : lo + Math.floor(rng() * 2 ** bits);
    return t;
  });
}

const bytes = (ts: readonly Tensor[]) => Buffer.concat(ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));

function expected(cs: Case, xs: readonly Tensor[]): Buffer {
  return bytes(xs.flatMap((x) => runInteger(cs.graph, [x])));
}

const BUILDS: [string, string[]][] = [['gcc', ['-O0']], ['gcc', ['-O2']], ['clang', ['-O0']], ['clang', ['-O2']]];

describe('C backend numerics', () => {
  for (const mk of CASES) {
    const cs = mk();
    it(`${cs.name}: gcc/clang -O0/-O2 and ASan+UBSan match runInteger bit for bit`, () => {
      const g = cs.graph;
      const inT = cs.c.header.match(/int \w+_run\(const (\w+) \*in/)![1]!;
      const outT = cs.c.header.match(/int \w+_run\(const \w+ \*in, (\w+) \*out/)![1]!;
      const src = writeSources(cs.name, cs.c, testMain(cs.name, inT, outT));
      const xs = inputs(g, 24, 11);
      const want = expected(cs, xs);
      const feed = bytes(xs);
      for (const [cc, flags] of BUILDS) {
        const bin = build(cc, [...STRICT, ...flags], src);
        expect(runBin(bin, ['run', String(xs.length)], feed).equals(want), `${cc} ${flags.join(' ')} run`).toBe(true);
      }
      const san = build('gcc', [...STRICT, '-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'], src);
      expect(runBin(san, ['arena', String(xs.length)], feed).equals(want), 'sanitized caller arena').toBe(true);
      // Float helpers: quantise, run, dequantise vs the TS io helpers (NaN/inf/huge values included).
      const v = g.values[g.inputs[0]!]!;
      const rng = mulberry32(13);
      const fx = Array.from({ length: 3 }, () => tensor('float32', v.type.shape, randn(rng, numel(v.type.shape), 1.5)));
      fx[0]!.data.set([NaN, Infinity, -Infinity, 1e30, -1e30, 0.5, -0.5]);
      const fwant = bytes(fx.map((x) => dequantizeOutput(runInteger(g, [quantizeInput(x, v.quant?.frac ?? 0, v.type.dtype === 'int16' ? 16 : 8)])[0]!, g.values[g.outputs[0]!]!.quant?.frac ?? 0)));
      const got = runBin(build('gcc', [...STRICT, '-O2'], src), ['float', '3'], bytes(fx));
      if (g.outputs.length === 1) expect(got.equals(fwant)).toBe(true);
    });
  }
});
