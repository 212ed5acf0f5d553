// Patch geometry (src/codegen/tile-plan.ts) without C: each tile's program, run by the reference kernels on
// zero-filled patches, reproduces its window of the segment's sink exactly, for every segment and several patch shapes.
import { describe, expect, it } from 'vitest';
import { compile } from '../src/compile.js';
import { runOp, type Graph } from '../src/ir/graph.js';
import { runInteger } from '../src/ir/interp-int.js';
import { allocData, numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { consumerLists, segmentOk, tileGeometry, type Band } from '../src/codegen/tile-plan.js';
import { modelGraph } from './helpers/onnx-builder.js';
import { randn } from './backend-c-models.js';
import { mulberry32 } from './helpers/prng.js';

/** conv 3x3 -> maxpool -> residual (two 3x3 convs + add) -> strided conv -> fire (1x1 squeeze, 1x1 | 3x3 expand, concat). */
function net(seed: number): Graph {
  const rng = mulberry32(seed);
  const w = (name: string, dims: number[]) => ({ name, dims, data: randn(rng, dims.reduce((a, b) => a * b, 1), 0.4) });
  const conv = (i: string, o: string, wn: string, attrs: Record<string, number | number[]>) => [
    { op: 'Conv', inputs: [i, wn], outputs: [`${o}c`], attrs, name: `${o}_conv` }, { op: 'Relu', inputs: [`${o}c`], outputs: [o], name: `${o}_relu` },
  ];
  const g = modelGraph({
    inputs: [{ name: 'x', shape: [1, 2, 17, 15] }],
    initializers: [w('w1', [4, 2, 3, 3]), w('w2', [4, 4, 3, 3]), w('w3', [4, 4, 3, 3]), w('w4', [6, 4, 3, 3]), w('ws', [3, 6, 1, 1]), w('we1', [4, 3, 1, 1]), w('we3', [4, 3, 3, 3])],
    nodes: [
      ...conv('x', 'a', 'w1', { pads: [1, 1, 1, 1] }),
      { op: 'MaxPool', inputs: ['a'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: 'pool' },
      ...conv('p', 'b', 'w2', { pads: [1, 1, 1, 1] }), ...conv('b', 'c', 'w3', { pads: [1, 1, 1, 1], dilations: [1, 1] }),
      { op: 'Add', inputs: ['c', 'p'], outputs: ['r'], name: 'res' },
      ...conv('r', 'd', 'w4', { pads: [1, 0, 1, 1], strides: [2, 2] }),
      ...conv('d', 's', 'ws', {}), ...conv('s', 'e1', 'we1', {}), ...conv('s', 'e3', 'we3', { pads: [1, 1, 1, 1] }),
      { op: 'Concat', inputs: ['e1', 'e3'], outputs: ['y'], attrs: { axis: 1 }, name: 'cat' },
    ],
    outputs: ['y'],
  });
  const rngc = mulberry32(seed + 1);
  return compile(g, { calibration: [tensor('float32', [8, 2, 17, 15], randn(rngc, 8 * 2 * 17 * 15, 0.8))], terms: 2 }).graph;
}

/** The patch of a whole NCHW tensor at (lo, left), zero outside it. */
function window(t: Tensor, b: Band, k: number): Tensor {
  const [, C, H, W] = t.shape as [number, number, number, number];
  const out = allocData(t.dtype, C * b.rows * b.cols);
  for (let c = 0; c < C; c++) for (let r = 0; r < b.rows; r++) for (let q = 0; q < b.cols; q++) {
    const h = b.lo[k]! + r;
    const w = b.left[k]! + q;
    if (h >= 0 && h < H && w >= 0 && w < W) out[(c * b.rows + r) * b.cols + q] = t.data[(c * H + h) * W + w]!;
  }
  return { dtype: t.dtype, shape: [1, C, b.rows, b.cols], data: out };
}

describe('patch geometry', () => {
  it('every tile of every segment reproduces its sink window from zero-filled patches', () => {
    const g = net(3);
    const cons = consumerLists(g);
    const x = g.values[g.inputs[0]!]!;
    const rng = mulberry32(9);
    const xin = allocData(x.type.dtype, numel(x.type.shape));
    for (let i = 0; i < xin.length; i++) xin[i] = -128 + Math.floor(rng() * 256);
    const whole = new Map<number, Tensor>();
    whole.set(g.inputs[0]!, { dtype: x.type.dtype, shape: [...x.type.shape], data: xin });
    runInteger(g, [whole.get(g.inputs[0]!)!], (id, t) => whole.set(id, t));
    let checked = 0;
    for (let first = 0; first < g.nodes.length; first++) {
      for (let last = first; last < g.nodes.length; last++) {
        if (!segmentOk(g, first, last, cons)) continue;
        const sink = g.nodes[last]!.outputs[0]!;
        const [H, W] = g.values[sink]!.type.shape.slice(2) as [number, number];
        for (const [T, Tw] of [[1, 1], [2, 3], [Math.max(1, H - 1), W], [3, W]]) {
          const geo = tileGeometry(g, { first, last, sink, T: T!, Tw: Tw! }, cons);
          if (!geo) continue;
          geo.starts.forEach(([a, c], k) => {
            const vals = new Map<number, Tensor>();
            for (const b of geo.inputs) vals.set(geo.bandOf.get(b.value)!, window(whole.get(b.value)!, b, k));
            for (const p of geo.program) {
              const [y] = runOp(p.node.op, p.node.inputs.map((i) => (i < 0 ? undefined : vals.get(i) ?? geo.graph.values[i]!.data)));
              const b = geo.bands.get(p.node.outputs[0]!)!;
              // Outside the tensor a patch holds zeros (what the C zeroes after each layer).
              vals.set(p.node.outputs[0]!, p.source === null ? y! : mask(y!, b, k));
            }
            const got = vals.get(geo.bandOf.get(sink)!)!;
            const want = window(whole.get(sink)!, { value: sink, rows: T!, cols: Tw!, height: H, width: W, lo: [a], left: [c] }, 0);
            expect(Array.from(got.data)).toEqual(Array.from(want.data));
            checked++;
          });
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

/** Zeroes the positions of patch tensor y (patch b in tile k) that lie outside its whole tensor. */
function mask(y: Tensor, b: Band, k: number): Tensor {
  const d = y.data.slice();
  const C = y.shape[1]!;
  for (let c = 0; c < C; c++) for (let r = 0; r < b.rows; r++) for (let q = 0; q < b.cols; q++) {
    const h = b.lo[k]! + r;
    const w = b.left[k]! + q;
    if (h < 0 || h >= b.height || w < 0 || w >= b.width) d[(c * b.rows + r) * b.cols + q] = 0;
  }
  return { ...y, data: d };
}
