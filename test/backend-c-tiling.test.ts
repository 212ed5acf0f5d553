// --ram-budget: patch-tiled C equals runInteger (random conv chains, the examples), the budget diagnostic, no change without tiling.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, readInputFile } from '../src/api.js';
import { emitC } from '../src/backends/c/emit.js';
import type { WeightForm } from '../src/backends/c/kernel.js';
import { runC } from '../src/backends/c/run.js';
import { compile } from '../src/compile.js';
import { ShiftaddcError } from '../src/diagnostics.js';
import type { Graph } from '../src/ir/graph.js';
import { quantizeInput, runInteger } from '../src/ir/interp-int.js';
import { allocData, numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { readNpy } from '../src/io/npy.js';
import { CACHE, STRICT } from './backend-c-harness.js';
import { calib, randn } from './backend-c-models.js';
import { modelGraph, type ModelSpec } from './helpers/onnx-builder.js';
import { mulberry32, type Rng } from './helpers/prng.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const FLAGS = [...STRICT, '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];

/**
 * A random chain over [1, C, H, W]: 3x3 convs (stride 1/2, symmetric or lopsided pads, dilation 2, depthwise), 1x1 convs,
 * unpadded max/average pools, residual adds and fire-module concats, then global pool and Gemm (never tiled).
 */
function chain(seed: number): ModelSpec {
  const rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const init: NonNullable<ModelSpec['initializers']>[number][] = [];
  const nodes: ModelSpec['nodes'][number][] = [];
  const c0 = 1 + (seed % 3);
  let c = c0;
  const H = 12 + Math.floor(rng() * 8);
  const W = 12 + Math.floor(rng() * 8);
  let h = H;
  let x = 'x';
  let k = 0;
  const conv = (src: string, cin: number, cout: number, attrs: Record<string, number | number[]>, kk: number): string => {
    const n = `n${k++}`;
    const per = cin / (typeof attrs.group === 'number' ? attrs.group : 1);
    init.push({ name: `${n}_w`, dims: [cout, per, kk, kk], data: randn(rng, cout * per * kk * kk, 0.6 / Math.sqrt(per * kk)) }, { name: `${n}_b`, dims: [cout], data: randn(rng, cout, 0.1) });
    nodes.push({ op: 'Conv', inputs: [src, `${n}_w`, `${n}_b`], outputs: [`${n}_c`], attrs, name: `${n}_conv` });
    nodes.push({ op: 'Relu', inputs: [`${n}_c`], outputs: [n], name: `${n}_relu` });
    return n;
  };
  for (let layer = 0; layer < 5; layer++) {
    const kind = pick(['conv', 'conv', 'stride', 'pool', 'res', 'fire', 'dil', 'lop', 'dw']);
    const m = 3 + Math.floor(rng() * 5);
    if (kind === 'conv') { x = conv(x, c, m, { pads: [1, 1, 1, 1] }, 3); c = m; }
    else if (kind === 'stride' && h >= 8) { x = conv(x, c, m, { pads: [1, 1, 1, 1], strides: [2, 2] }, 3); c = m; h = Math.ceil(h / 2); }
    else if (kind === 'pool' && h >= 8) {
      const n = `p${k++}`;
      nodes.push({ op: pick(['MaxPool', 'AveragePool']), inputs: [x], outputs: [n], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, name: n });
      x = n; h = Math.floor(h / 2);
    } else if (kind === 'res') {
      const a = conv(x, c, c, { pads: [1, 1, 1, 1] }, 3);
      const b = conv(a, c, c, { pads: [1, 1, 1, 1] }, 3);
      const n = `a${k++}`;
      nodes.push({ op: 'Add', inputs: [b, x], outputs: [n], name: n });
      x = n;
    } else if (kind === 'fire') {
      const s = conv(x, c, 2 + Math.floor(rng() * 3), {}, 1);
      const sc = init.at(-2)!.dims[0]!;
      const e1 = conv(s, sc, m, {}, 1);
      const e3 = conv(s, sc, m, { pads: [1, 1, 1, 1] }, 3);
      const n = `f${k++}`;
      nodes.push({ op: 'Concat', inputs: [e1, e3], outputs: [n], attrs: { axis: 1 }, name: n });
      x = n; c = 2 * m;
    } else if (kind === 'dil') { x = conv(x, c, m, { pads: [2, 2, 2, 2], dilations: [2, 2] }, 3); c = m; }
    else { x = conv(x, c, m, { pads: [2, 0, 0, 1] }, 3); c = m; h = h - 1; }
  }
  init.push({ name: 'wf', dims: [4, c], data: randn(rng, 4 * c, 0.5) });
  nodes.push({ op: 'GlobalAveragePool', inputs: [x], outputs: ['g'], name: 'gap' }, { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flat' });
  nodes.push({ op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' });
  return { inputs: [{ name: 'x', shape: [1, c0, H, W] }], initializers: init, nodes, outputs: ['y'] };
}

function randomInput(g: Graph, n: number, rng: Rng): Tensor {
  const v = g.values[g.inputs[0]!]!;
  const data = allocData(v.type.dtype, n * numel(v.type.shape));
  const hi = v.type.dtype === 'int16' ? 32768 : 128;
  for (let i = 0; i < data.length; i++) data[i] = -hi + Math.floor(rng() * 2 * hi);
  return tensor(v.type.dtype, [n, ...v.type.shape.slice(1)], data);
}

/** The budget's plan, or the smallest budget SAC066 names when the first one cannot be met. */
function tiled(g: Graph, budget: number, weights: WeightForm) {
  try {
    return { budget, c: emitC(g, { name: 'm', weights, ramBudget: budget }) };
  } catch (e) {
    const m = e instanceof ShiftaddcError && e.code === 'SAC066' ? /smallest budget the tiler meets is (\d+) bytes/.exec(e.message) : null;
    if (!m) throw e;
    const b = Number(m[1]);
    return { budget: b, c: emitC(g, { name: 'm', weights, ramBudget: b }) };
  }
}

describe('C --ram-budget (patch tiling)', () => {
  const cases: [number, WeightForm, number][] = [[1, 'auto', 8], [2, 'auto', 8], [3, 'data', 8], [4, 'packed', 8], [5, 'code', 8], [6, 'auto', 16], [7, 'data', 16], [8, 'auto', 8]];
  it.each(cases)('random chain %i (%s, %i-bit): tiled C equals runInteger bit for bit', (seed, weights, bits) => {
    const spec = chain(seed);
    const g0 = modelGraph(spec);
    const g = compile(g0, { calibration: [calib(g0.values[g0.inputs[0]!]!.type.shape, seed)], terms: 2, actBits: bits as 8 | 16 }).graph;
    const untiled = emitC(g, { name: 'm', weights });
    const { budget, c } = tiled(g, Math.floor(untiled.memory.arenaBytes * 0.6), weights);
    expect(c.memory.arenaBytes).toBeLessThanOrEqual(budget);
    expect(c.tiling!.segments.length).toBeGreaterThan(0);
    // Tiles skip rows and columns no later layer reads (a strided 1x1 conv's last row), so this can dip below 0.
    expect(c.tiling!.extraWork).toBeGreaterThan(-1);
    const x = randomInput(g, 5, mulberry32(seed + 100));
    const want = runInteger(g, [x])[0]!;
    const got = runC(g, [x], { name: `tile${seed}`, weights, ramBudget: budget, cacheDir: CACHE, flags: FLAGS })[0]!;
    expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength))).toBe(true);
  });

  it('fails SAC066 naming the layer and the smallest budget, which then works; no budget changes nothing', () => {
    const g0 = modelGraph(chain(2));
    const g = compile(g0, { calibration: [calib(g0.values[g0.inputs[0]!]!.type.shape, 2)], terms: 2 }).graph;
    let err: unknown;
    try { emitC(g, { name: 'm', ramBudget: 16 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShiftaddcError);
    const e = err as ShiftaddcError;
    expect(e.code).toBe('SAC066');
    expect(e.format()).toMatch(/^error SAC066: RAM budget cannot be met: --ram-budget 16 cannot be met: at layer '[^']+' \(\w+\) \d+ bytes are live; the smallest budget the tiler meets is \d+ bytes \(at node '[^']+'/);
    expect(e.format()).not.toContain('\n');
    const smallest = Number(/meets is (\d+) bytes/.exec(e.message)![1]);
    expect(emitC(g, { name: 'm', ramBudget: smallest }).memory.arenaBytes).toBeLessThanOrEqual(smallest);
    // A budget the untiled arena meets: the same C source (the header's options comment names the budget).
    const plain = emitC(g, { name: 'm' });
    const met = emitC(g, { name: 'm', ramBudget: plain.memory.arenaBytes });
    expect(met.source).toBe(plain.source);
    expect(met.tiling).toMatchObject({ segments: [], untiledArenaBytes: plain.memory.arenaBytes });
  });

  it.each([['resnet'], ['squeeze']])('%s fits a 15200-byte arena and equals runInteger on 8 calibration images', (name) => {
    const cal = readNpy(readInputFile(`${EX}data/calib-256.npy`), 'calib');
    const g = compile(loadModel(path.join(EX, `${name}.onnx`)), { calibration: [cal], terms: 2 }).graph;
    const c = emitC(g, { name, ramBudget: 15200 });
    expect(c.memory.arenaBytes).toBeLessThanOrEqual(15200);
    expect(c.tiling!.untiledArenaBytes).toBeGreaterThan(20000);
    const per = numel(cal.shape.slice(1));
    const x = quantizeInput(tensor('float32', [8, ...cal.shape.slice(1)], cal.data.slice(0, 8 * per)), g.values[g.inputs[0]!]!.quant?.frac ?? 0, 8);
    const want = runInteger(g, [x])[0]!;
    const got = runC(g, [x], { name, ramBudget: 15200, cacheDir: CACHE, flags: [...STRICT, '-O2'] })[0]!;
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
  });
});
