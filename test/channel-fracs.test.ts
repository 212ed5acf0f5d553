// Per-channel activation fracs: which tensors get them, the lowered graph they give, and what they buy.
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import type { Graph } from '../src/ir/graph.js';
import { parseGraph } from '../src/ir/parser.js';
import { printGraph } from '../src/ir/printer.js';
import { verifyGraph } from '../src/ir/verify.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { channelRoots } from '../src/passes/channel-fracs.js';
import { modelGraph } from './helpers/onnx-builder.js';
import { channelCnn, randn, tinyCnn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

function images(seed: number, n: number): Tensor {
  return tensor('float32', [n, 1, 8, 8], randn(mulberry32(seed), n * 64, 0.8));
}

const named = (g: Graph, name: string) => g.values.find((v) => v.name === name)!;

describe('per-channel activation fracs', () => {
  const graph = modelGraph(channelCnn(9));
  const calib = images(7, 64);

  it('go only where every consumer is a weight layer (through pools, ReLUs and flattens)', () => {
    const names = (g: Graph) => channelRoots(g).map((r) => [g.values[r.root]!.name, r.cone.map((id) => g.values[id]!.name)]);
    expect(names(graph)).toEqual([['r1', ['p1']], ['r2', ['g', 'f']]]);
    // tinyCnn: a residual Add, a Concat, a Sigmoid and the model output stop every candidate.
    expect(channelRoots(modelGraph(tinyCnn(1)))).toEqual([]);
  });

  it('give each channel its own fractional bits, a per-channel ReLU6 clamp and the same shift through pools', () => {
    const g = compile(graph, { calibration: [calib] }).graph;
    const r1 = named(g, 'r1').quant!;
    expect(r1.channels).toHaveLength(6);
    expect(new Set(r1.channels).size).toBeGreaterThan(1);
    expect(named(g, 'p1').quant!.channels).toEqual(r1.channels);
    expect(named(g, 'f').quant!.channels).toEqual(named(g, 'r2').quant!.channels);
    const conv1 = g.nodes.find((n) => n.name === 'conv1')!;
    if (conv1.op.kind !== 'ShiftConv') throw new Error('conv1 not lowered');
    // ReLU6's bound 6 at frac + d_c, saturated to int8.
    expect(conv1.op.attrs.channelMax).toEqual(r1.channels!.map((d) => Math.min(127, Math.floor(6 * 2 ** (r1.frac + d) + 0.5))));
    const text = printGraph(g, { elideConstantsOver: Infinity });
    expect(text).toContain('chfrac=[');
    const back = parseGraph(text);
    verifyGraph(back);
    expect(printGraph(back, { elideConstantsOver: Infinity })).toBe(text);
  });

  it('cut the error downstream of channels that differ in range (and are off with channelFracs: false)', () => {
    const on = compile(graph, { calibration: [calib], terms: 3 });
    const off = compile(graph, { calibration: [calib], terms: 3, channelFracs: false });
    expect(named(off.graph, 'r1').quant!.channels).toBeUndefined();
    const sq = (r: typeof on, name: string) => r.report.layers.find((l) => l.name === name)!.sqnrDb!;
    // The depthwise layer reads the small channels at full precision (its own output SQNR is energy-weighted).
    expect(sq(on, 'dw')).toBeGreaterThan(sq(off, 'dw') + 2);
  });

  it('the verifier rejects a channel list that does not match the tensor', () => {
    const g = compile(graph, { calibration: [calib] }).graph;
    const text = printGraph(g, { elideConstantsOver: Infinity }).replace(/chfrac=\[[0-9]+,/, 'chfrac=[');
    expect(() => verifyGraph(parseGraph(text))).toThrow(/channel fracs for shape/);
  });
});
