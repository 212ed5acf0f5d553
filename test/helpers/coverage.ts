// Checks for the CNN-coverage tests: compile a built model, float vs shift-add agreement, C bit-exact, multiply-free.
import { emitC } from '../../src/backends/c/emit.js';
import { compile, type CompileOptions, type CompileResult } from '../../src/compile.js';
import type { Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/ir/interp-float.js';
import { dequantizeOutput, quantizeInput, runInteger } from '../../src/ir/interp-int.js';
import { numel, tensor, type Tensor } from '../../src/ir/tensor.js';
import { binaryStars, build, runBin, STRICT, testMain, writeSources } from '../backend-c-harness.js';
import { randn } from '../backend-c-models.js';
import { mulberry32 } from './prng.js';

/** `n` samples of the graph's input shape (normal, scale `s`), stacked along dim 0, and one by one. */
export function samples(g: Graph, n: number, seed: number, s = 1): { stacked: Tensor; each: Tensor[] } {
  const shape = g.values[g.inputs[0]!]!.type.shape;
  const per = numel(shape);
  const rng = mulberry32(seed);
  const data = randn(rng, n * per, s);
  const each = Array.from({ length: n }, (_, k) => tensor('float32', shape, data.slice(k * per, (k + 1) * per)));
  return { stacked: tensor('float32', [n * shape[0]!, ...shape.slice(1)], data), each };
}

export function compileModel(g: Graph, calib: Tensor, o: Omit<CompileOptions, 'calibration'> = {}): CompileResult {
  return compile(g, { ...o, calibration: [calib], verifyEach: true });
}

/** The shift-add network's first output, dequantised, for float input `x`. */
export function runShift(res: CompileResult, x: Tensor): Tensor {
  const g = res.graph;
  const v = g.values[g.inputs[0]!]!;
  const q = runInteger(g, [quantizeInput(x, v.quant!.frac, v.type.dtype === 'int16' ? 16 : 8)])[0]!;
  return dequantizeOutput(q, g.values[g.outputs[0]!]!.quant!.frac);
}

const argmax = (t: Tensor): number => {
  let best = 0;
  for (let i = 1; i < t.data.length; i++) if (t.data[i]! > t.data[best]!) best = i;
  return best;
};

/**
 * Float (the model as given, `reference`, or the prepared float graph) vs shift-add on `xs`: SQNR in dB of the
 * outputs and top-1 agreement. The reference may end in a Softmax the shift-add network dropped: only top-1 then.
 */
export function agreement(reference: Graph, res: CompileResult, xs: readonly Tensor[]): { sqnrDb: number; top1: number } {
  let sig = 0;
  let noise = 0;
  let same = 0;
  for (const x of xs) {
    const f = runGraph(reference, [x])[0]!;
    const q = runShift(res, x);
    if (argmax(f) === argmax(q)) same++;
    for (let i = 0; i < f.data.length; i++) { sig += f.data[i]! ** 2; noise += (f.data[i]! - q.data[i]!) ** 2; }
  }
  return { sqnrDb: 10 * Math.log10(sig / Math.max(noise, 1e-30)), top1: same / xs.length };
}

/** Builds the emitted C with gcc -O2 (strict) and checks it against runInteger on `xs`; returns the C source. */
export function expectCBitExact(res: CompileResult, name: string, xs: readonly Tensor[]): { equal: boolean; stars: string[] } {
  const g = res.graph;
  const c = emitC(g, { name });
  const inT = c.header.match(/int \w+_run\(const (\w+) \*in/)![1]!;
  const outT = c.header.match(/int \w+_run\(const \w+ \*in, (\w+) \*out/)![1]!;
  const src = writeSources(name, c, testMain(name, inT, outT));
  const v = g.values[g.inputs[0]!]!;
  const qs = xs.map((x) => quantizeInput(x, v.quant!.frac, v.type.dtype === 'int16' ? 16 : 8));
  const bytes = (ts: readonly Tensor[]) => Buffer.concat(ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  const want = bytes(qs.flatMap((q) => runInteger(g, [q])));
  const got = runBin(build('gcc', [...STRICT, '-O2'], src), ['run', String(qs.length)], bytes(qs));
  return { equal: got.equals(want), stars: binaryStars(c.source) };
}
