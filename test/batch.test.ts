// Batched execution (OpDef.batch): every op and every example model gives, byte for byte, its per-sample results.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { compile } from '../src/compile.js';
import { readNpy } from '../src/io/npy.js';
import { runSamples, stack, unstack, type SampleInput } from '../src/ir/batch.js';
import { runOp, type Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/interp-float.js';
import { quantizeInput } from '../src/ir/interp-int.js';
import type { Op } from '../src/ir/registry.js';
import { floatTensor, type Tensor } from '../src/ir/tensor.js';
import { mulberry32 } from './helpers/prng.js';

const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function expectSame(got: readonly Tensor[], want: readonly Tensor[], what: string): void {
  expect(got.length, what).toBe(want.length);
  expect(got.map((t) => t.shape), what).toEqual(want.map((t) => t.shape));
  expect(Buffer.concat(got.map(bytes)).equals(Buffer.concat(want.map(bytes))), what).toBe(true);
}

/** Unrounded float32 noise, so any change of summation order would show. */
function noise(shape: number[], seed: number): Tensor {
  const rng = mulberry32(seed);
  return floatTensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 4 - 2));
}

const S = 3;
const per = (shape: number[], seed: number): Tensor[] => Array.from({ length: S }, (_, s) => noise(shape, seed * 10 + s));

/** Runs `op` batched (or not, as its rule says) and sample by sample; checks the bytes and which path ran. */
function check(op: Op, inputs: readonly SampleInput[], batched: boolean): void {
  const got = runSamples(op, inputs, S);
  const want = Array.from({ length: S }, (_, s) => runOp(op, inputs.map((x) => (Array.isArray(x) ? x[s] : x as Tensor | undefined))));
  got.forEach((outs, j) => expectSame(outs, want.map((w) => w[j]!), `${op.kind} output ${j}`));
  expect(got[0]![1]!.data.buffer === got[0]![0]!.data.buffer, `${op.kind} ran batched`).toBe(batched);
}

describe('OpDef.batch rules', () => {
  const pool = { kernel: [2, 2], strides: [2, 1], pads: [1, 0, 0, 1], dilations: [1, 1], ceilMode: false };
  it('conv, pooling and normalisation run batched with shared weights, not with per-sample weights', () => {
    const conv = { kind: 'Conv', attrs: { group: 2, kernel: [3, 3], strides: [1, 2], pads: [1, 1, 0, 1], dilations: [1, 1] } } as const;
    check(conv, [per([1, 4, 7, 6], 1), noise([8, 2, 3, 3], 2), noise([8], 3)], true);
    check(conv, [per([1, 4, 7, 6], 1), per([8, 2, 3, 3], 2), noise([8], 3)], false);
    check({ kind: 'MaxPool', attrs: pool }, [per([2, 3, 5, 5], 4)], true);
    check({ kind: 'AveragePool', attrs: { ...pool, countIncludePad: false } }, [per([1, 3, 5, 5], 5)], true);
    check({ kind: 'GlobalAveragePool', attrs: {} }, [per([1, 3, 4, 5], 6)], true);
    check({ kind: 'BatchNormalization', attrs: { epsilon: 1e-5 } }, [per([1, 3, 4], 7), noise([3], 8), noise([3], 9), noise([3], 10), floatTensor([3], [1, 2, 3])], true);
    check({ kind: 'LRN', attrs: { size: 3, alpha: 1e-3, beta: 0.75, bias: 1 } }, [per([1, 5, 2, 2], 11)], true);
    check({ kind: 'Relu', attrs: {} }, [per([1, 7], 12)], true);
  });
  it('Gemm batches rows (bias [N] or [1, N]) but not transA or a bias with rows of its own', () => {
    const gemm = (transA: boolean, transB: boolean) => ({ kind: 'Gemm', attrs: { transA, transB, alpha: 1.5, beta: 0.5 } }) as const;
    check(gemm(false, true), [per([1, 37], 13), noise([9, 37], 14), noise([9], 15)], true);
    check(gemm(false, true), [per([3, 37], 13), noise([9, 37], 14), noise([1, 9], 15)], true);
    check(gemm(false, false), [per([2, 5], 16), noise([5, 4], 17)], true);
    check(gemm(true, false), [per([5, 2], 16), noise([5, 4], 17)], false);
    check(gemm(false, true), [per([2, 5], 16), noise([4, 5], 17), noise([2, 4], 18)], false);
  });
  it('MatMul batches a per-sample A against a shared matrix or vector', () => {
    check({ kind: 'MatMul', attrs: {} }, [per([2, 3, 5], 19), noise([5, 4], 20)], true);
    check({ kind: 'MatMul', attrs: {} }, [per([3, 5], 19), noise([5], 20)], true);
    check({ kind: 'MatMul', attrs: {} }, [per([2, 3, 5], 19), noise([2, 5, 4], 20)], false);
  });
  it('broadcasting elementwise ops batch unless a shared operand has rows of its own', () => {
    check({ kind: 'Add', attrs: {} }, [per([1, 3, 2, 2], 21), noise([3, 1, 1], 22)], true);
    check({ kind: 'Mul', attrs: {} }, [noise([1, 3, 1, 2], 22), per([1, 3, 2, 2], 21)], true);
    check({ kind: 'Sub', attrs: {} }, [per([2, 3], 23), per([2, 3], 24)], true);
    check({ kind: 'Div', attrs: {} }, [per([2, 3], 23), noise([2, 3], 24)], false);
    check({ kind: 'Add', attrs: {} }, [per([3], 23), per([2, 3], 24)], false);
    check({ kind: 'Sum', attrs: {} }, [per([1, 4], 25), noise([4], 26), per([1, 4], 27)], true);
    check({ kind: 'PRelu', attrs: {} }, [per([1, 3, 2], 28), noise([3, 1], 29)], true);
  });
  it('layout ops batch when they leave axis 0 alone', () => {
    check({ kind: 'Concat', attrs: { axis: 1 } }, [per([1, 2, 3], 30), per([1, 4, 3], 31)], true);
    check({ kind: 'Concat', attrs: { axis: 0 } }, [per([1, 2, 3], 30), per([1, 2, 3], 31)], false);
    check({ kind: 'Concat', attrs: { axis: 1 } }, [per([1, 2, 3], 30), noise([1, 4, 3], 31)], false);
    check({ kind: 'Split', attrs: { axis: -1, split: [1, 2] } }, [per([2, 3], 32)], true);
    check({ kind: 'Split', attrs: { axis: 0, split: [1, 1] } }, [per([2, 3], 32)], false);
    check({ kind: 'Slice', attrs: { starts: [-1, 0], ends: [0, 3], axes: [2, 1], steps: [-1, 2] } }, [per([1, 4, 5], 33)], true);
    check({ kind: 'Slice', attrs: { starts: [1], ends: [2], axes: [0], steps: [1] } }, [per([2, 4], 33)], false);
    check({ kind: 'Transpose', attrs: { perm: [0, 2, 1] } }, [per([2, 3, 4], 34)], true);
    check({ kind: 'Transpose', attrs: { perm: [1, 0, 2] } }, [per([2, 3, 4], 34)], false);
    check({ kind: 'Pad', attrs: { mode: 'reflect', pads: [0, 1, 2, 0, 2, 1], value: 0 } }, [per([1, 3, 4], 35)], true);
    check({ kind: 'Pad', attrs: { mode: 'constant', pads: [1, 0, 0, 0], value: 0 } }, [per([1, 3], 35)], false);
    check({ kind: 'Reshape', attrs: { shape: [1, 12] } }, [per([1, 3, 4], 36)], false);
  });
  it('softmax and reductions batch along axes other than 0', () => {
    check({ kind: 'Softmax', attrs: { axis: 1 } }, [per([2, 5], 37)], true);
    check({ kind: 'LogSoftmax', attrs: { axis: 0 } }, [per([2, 5], 37)], false);
    check({ kind: 'ReduceMean', attrs: { axes: [1, 2], keepdims: false } }, [per([2, 3, 5], 38)], true);
    check({ kind: 'ReduceSum', attrs: { axes: [0], keepdims: true } }, [per([2, 3], 38)], false);
    check({ kind: 'ReduceSum', attrs: { axes: [], keepdims: true } }, [per([2, 3], 38)], false);
  });
});

describe('stack / unstack', () => {
  it('stacks views of one buffer in order without copying, and copies otherwise', () => {
    const t = noise([4, 3], 40);
    const views = unstack(t, 4);
    expect(stack(views).data.buffer).toBe(t.data.buffer);
    expect(bytes(stack([views[1]!, views[0]!])).equals(Buffer.concat([bytes(views[1]!), bytes(views[0]!)]))).toBe(true);
    expect(stack([views[1]!, views[0]!]).data.buffer).not.toBe(t.data.buffer);
  });
});

const examples = path.resolve(__dirname, '..', 'examples');
const models = JSON.parse(fs.readFileSync(path.join(examples, 'models.json'), 'utf8')) as Record<string, { file: string }>;
const calib = readNpy(new Uint8Array(fs.readFileSync(path.join(examples, 'data', 'calib-256.npy'))));

/** Every node output of `g`, per sample, with each node run alone on each sample (the per-sample reference). */
function perSampleOutputs(g: Graph, input: Tensor): Map<number, Tensor[]> {
  const outs = new Map<number, Tensor[]>();
  for (const x of unstack(input, input.shape[0]! / g.values[g.inputs[0]!]!.type.shape[0]!)) {
    const env = new Map<number, Tensor>([[g.inputs[0]!, x]]);
    for (const n of g.nodes) {
      runOp(n.op, n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.data ?? env.get(i)))).forEach((t, j) => {
        env.set(n.outputs[j]!, t);
        if (!outs.has(n.outputs[j]!)) outs.set(n.outputs[j]!, []);
        outs.get(n.outputs[j]!)!.push(t);
      });
    }
  }
  return outs;
}

/** Checks runGraph (chunks) and runSamples over the whole set (as lowering runs) against the reference, node by node. */
function expectBatchedSame(g: Graph, input: Tensor, what: string): void {
  const want = perSampleOutputs(g, input);
  const seen = new Map<number, Tensor[]>();
  const [y] = runGraph(g, [input], (id, t) => { if (!seen.has(id)) seen.set(id, []); seen.get(id)!.push(t); });
  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.data ?? (i === g.inputs[0] ? unstack(input, want.get(n.outputs[0]!)!.length) : want.get(i))));
    const whole = runSamples(n.op, ins, want.get(n.outputs[0]!)!.length);
    n.outputs.forEach((o, j) => {
      expectSame(seen.get(o)!, want.get(o)!, `${what} ${n.name} (runGraph)`);
      expectSame(whole[j]!, want.get(o)!, `${what} ${n.name} (whole set)`);
    });
  }
  expect(bytes(y!).equals(Buffer.concat(want.get(g.outputs[0]!)!.map(bytes)))).toBe(true);
}

describe('example models: batched execution is byte-identical to per-sample', () => {
  for (const [name, info] of Object.entries(models)) {
    it(`${name}: float and integer graphs, every node output`, () => {
      const c = compile(loadModel(path.join(examples, info.file)), { calibration: [calib], terms: 1 });
      expectBatchedSame(c.floatGraph, calib, `${name} float`);
      expectBatchedSame(c.graph, quantizeInput(calib, c.report.inputFrac[0]!, 8), `${name} int`);
    });
  }
});
