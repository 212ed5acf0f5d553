// The adder layer (AdderConv) in the hw engine: random layers and the ShiftAddNet example bit-exact in iverilog, lint, descriptor.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { buildDescriptor } from '../src/backends/hw/descriptor.js';
import { engineSetup, simulate } from '../src/backends/hw/run.js';
import { DESCRIPTOR_SCHEMA } from '../src/backends/hw/schema.js';
import { vectorInputs } from '../src/backends/hw/vectors.js';
import { compile } from '../src/compile.js';
import { GraphBuilder, type Graph } from '../src/ir/graph.js';
import { readNpy } from '../src/io/npy.js';
import { runInteger } from '../src/ir/interp-int.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { mulberry32 } from './helpers/prng.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const HW = new URL('../hw/', import.meta.url).pathname;

/**
 * One AdderConv with full-range weights and inputs: groups, a non-square kernel, unequal strides and pads (padded taps
 * count |0 - w|), 5 channels per group (a part-filled lane group at 2 lanes), gain digits, every kind of rshift.
 */
function randomAdder(dtype: 'int8' | 'int16', seed: number): { g: Graph; xs: Tensor[] } {
  const rng = mulberry32(seed);
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [-32768, 32767];
  const ints = (n: number, a: number, b: number) => Array.from({ length: n }, () => a + Math.floor(rng() * (b - a + 1)));
  const M = 10, C = 4, group = 2;
  const w = tensor(dtype, [M, C / group, 3, 2], ints(M * (C / group) * 6, lo, hi));
  // Centre each channel's acc = bias - sum |x - w| near 0 (the sum's mean is D (hi - lo) / 3, its spread about
  // sqrt(D) (hi - lo) / 4) and shift that spread onto the output range: 0 and -1 (saturate, then shift) as well.
  const D = (C / group) * 6;
  const span = hi - lo + 1;
  const bias = tensor('int32', [M], ints(M, -span, span).map((v) => Math.round((D * span) / 3) + 2 * v));
  const s = dtype === 'int8' ? 3 : 11;
  const rshift = tensor('int32', [M], [s, s + 1, s - 1, 0, -1, s, s + 1, s - 1, s, s]);
  // Gains near +-1: a leading digit +-1 (acc >> 0) and two smaller ones (acc >> 2 .. acc >> 5).
  const gain = tensor('int8', [M, 5], Array.from({ length: M }, (_, m) => [m % 3 === 1 ? -1 : 1, ...ints(2, 3, 6).map((c) => (rng() < 0.5 ? -c : c)), 0, 0]).flat());
  const attrs = { group, kernel: [3, 2], strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 1], bits: 8, actMin: -100, actMax: 90 };
  const b = new GraphBuilder('adder', 1);
  const x = b.addValue('x', { dtype, shape: [1, C, 7, 6] }, { quant: { frac: 4 } });
  const ins = [x, b.addConst('w', w), b.addConst('b', bias), b.addConst('r', rshift), b.addConst('gain', gain)];
  const [y] = b.addNode('adder', { kind: 'AdderConv', attrs }, ins, undefined, undefined, [{ frac: 4 }]);
  const g = b.finish([x], [y!]);
  const xs = [0, 1].map(() => tensor(dtype, [1, C, 7, 6], ints(C * 42, lo, hi)));
  return { g, xs };
}

describe('hw engine: adder layers (AdderConv)', () => {
  for (const [dtype, lanes] of [['int8', 2], ['int16', 3]] as const) {
    it(`runs a random ${dtype} AdderConv layer at ${lanes} lanes bit-exact with runInteger, in the descriptor's cycles`, () => {
      const { g, xs } = randomAdder(dtype, dtype === 'int8' ? 11 : 12);
      for (const x of xs) {
        const r = simulate(g, [x], 'adder', lanes);
        const want = Array.from(runInteger(g, [x])[0]!.data);
        expect(Array.from(r.outputs[0]!.data)).toEqual(want);
        // The layer is exercised: many distinct values, both clamps hit.
        expect(new Set(want).size).toBeGreaterThan(20);
        expect(want).toContain(-100);
        expect(want).toContain(90);
        expect(r.stats.cycles[0]).toBe(buildDescriptor(g, 'adder', lanes).descriptor.cycles.total);
      }
    }, 120_000);
  }

  const all = readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib');
  const per = numel(all.shape.slice(1));
  const calib = tensor('float32', [16, ...all.shape.slice(1)], all.data.subarray(0, 16 * per));
  const san = () => compile(loadModel(`${EX}shiftaddnet/shiftaddnet.onnx`), { calibration: [calib], terms: 2 }).graph;

  it('runs the ShiftAddNet example (8 adder layers) end to end at 2 lanes bit-exact, every layer checked', () => {
    const g = san();
    expect(g.nodes.filter((n) => n.op.kind === 'AdderConv')).toHaveLength(8);
    const xs = vectorInputs(g, calib, 1);
    const r = simulate(g, xs, 'shiftaddnet', 2);
    expect(Array.from(r.outputs[0]!.data)).toEqual(Array.from(runInteger(g, xs)[0]!.data));
    expect(r.stats.layersChecked).toBe(g.nodes.filter((n) => n.op.kind !== 'Reshape').length);
    expect(r.stats.cycles[0]).toBe(buildDescriptor(g, 'shiftaddnet', 2).descriptor.cycles.total);
    console.log(`shiftaddnet at 2 lanes: ${r.stats.cycles[0]} cycles per inference`);
  }, 300_000);

  it('writes a schema-valid descriptor for it, and the engine is verilator -Wall clean with the adder datapath', () => {
    const g = san();
    const { descriptor: d } = buildDescriptor(g, 'shiftaddnet', 2);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(DESCRIPTOR_SCHEMA);
    const json = JSON.parse(JSON.stringify(d));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const adders = d.layers.filter((l) => l.kind === 'AdderConv');
    expect(adders.map((l) => l.op)).toEqual(new Array(8).fill('adder_conv'));
    expect(adders.every((l) => l.adder!.weightBits === 8 && l.regions.terms!.size > 0)).toBe(true);
    const setup = engineSetup(g, 'shiftaddnet', 2);
    if ('unsupported' in setup) throw new Error(setup.unsupported);
    const vh = String(setup.files.find((f) => f.name === 'sa_tb.vh')!.data);
    const def = (k: string) => /`define SA_(\w+) (\d+)$/.exec(vh.split('\n').find((l) => l.startsWith(`\`define SA_${k} `))!)![2];
    expect(def('WB')).toBe('8');
    const params = ['P', 'K', 'CB', 'G', 'TW', 'GW', 'WB', 'ACT_DEPTH', 'TERMS_DEPTH', 'CHAN_DEPTH', 'GAIN_DEPTH', 'LUT_DEPTH', 'PROG_DEPTH'].map((k) => `-G${k}=${def(k)}`);
    expect(execFileSync('verilator', ['--lint-only', '-Wall', ...params, 'sa_engine.v'], { cwd: HW, encoding: 'utf8', stdio: 'pipe' })).toBe('');
  });
});
