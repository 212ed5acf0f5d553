// The reference engine hw/: no multiply operator, verilator -Wall clean, bit-exact with runInteger in iverilog, layer by layer.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { buildDescriptor } from '../src/backends/hw/descriptor.js';
import { expectedOutputs } from '../src/backends/hw/engine-files.js';
import { engineSetup, simulate } from '../src/backends/hw/run.js';
import { buildSim, runSim } from '../src/backends/hw/sim.js';
import { vectorInputs } from '../src/backends/hw/vectors.js';
import { memoryImages } from '../src/codegen/images.js';
import { compile } from '../src/compile.js';
import { readNpy } from '../src/io/npy.js';
import { runInteger } from '../src/ir/interp-int.js';
import { numel, tensor } from '../src/ir/tensor.js';

const EX = new URL('../examples/', import.meta.url).pathname;
const HW = new URL('../hw/', import.meta.url).pathname;
const all = readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib');
const per = numel(all.shape.slice(1));
const calib = tensor('float32', [16, ...all.shape.slice(1)], all.data.subarray(0, 16 * per));
const lowered = (m: string) => compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], terms: 2 }).graph;

/** Verilog text without comments and `@*` event controls: what is left holds a `*` only as a multiply (or power). */
const multiplyUses = (src: string): string[] => src.replace(/\/\/.*$/gm, '').replace(/@\s*\(?\s*\*\s*\)?/g, '@').split('\n').filter((l) => l.includes('*'));

describe('hw reference engine', () => {
  it('has no multiply operator anywhere in hw/ (and the check finds one)', () => {
    const files = fs.readdirSync(HW).filter((f) => /\.(v|vh)$/.test(f));
    expect(files).toContain('sa_engine.v');
    for (const f of files) expect(multiplyUses(fs.readFileSync(path.join(HW, f), 'utf8')), f).toEqual([]);
    expect(multiplyUses('always @* begin\n  y = a * b; // x * y\nend')).toEqual(['  y = a * b; ']);
  });

  it('is verilator --lint-only -Wall clean at LeNet\'s sizes (engine and board top)', () => {
    const { files } = engineSetup(lowered('lenet'), 'lenet', 4) as { files: { name: string; data: string | Uint8Array }[] };
    const vh = String(files.find((f) => f.name === 'sa_tb.vh')!.data);
    const def = (k: string) => /`define SA_(\w+) (\d+)$/.exec(vh.split('\n').find((l) => l.startsWith(`\`define SA_${k} `))!)![2];
    const params = ['P', 'K', 'CB', 'G', 'TW', 'GW', 'ACT_DEPTH', 'TERMS_DEPTH', 'CHAN_DEPTH', 'GAIN_DEPTH', 'LUT_DEPTH', 'PROG_DEPTH'].map((k) => `-G${k}=${def(k)}`);
    const out = execFileSync('verilator', ['--lint-only', '-Wall', ...params, 'sa_engine.v'], { cwd: HW, encoding: 'utf8', stdio: 'pipe' });
    expect(out).toBe('');
    const top = execFileSync('verilator', ['--lint-only', '-Wall', '--top-module', 'sa_top', ...params, 'sa_top.v', 'sa_engine.v'], { cwd: HW, encoding: 'utf8', stdio: 'pipe' });
    expect(top).toBe('');
  });

  for (const [m, lanes] of [['lenet', 4], ['dwsep', 4]] as const) {
    it(`runs ${m} at ${lanes} lanes bit-exact with runInteger, every layer checked, in the descriptor's cycles`, () => {
      const g = lowered(m);
      const xs = vectorInputs(g, calib, 1);
      const r = simulate(g, xs, m, lanes);
      expect(Array.from(r.outputs[0]!.data)).toEqual(Array.from(runInteger(g, xs)[0]!.data));
      expect(r.stats.layersChecked).toBe(g.nodes.filter((n) => n.op.kind !== 'Reshape').length);
      expect(r.stats.cycles[0]).toBe(buildDescriptor(g, m, lanes).descriptor.cycles.total);
      console.log(`${m} at ${lanes} lanes: ${r.stats.cycles[0]} cycles per inference`);
    }, 60_000);
  }

  it('reports the layer whose output is wrong when a bias word is corrupted', () => {
    const g = lowered('lenet');
    const setup = engineSetup(g, 'lenet', 4);
    if ('unsupported' in setup) throw new Error(setup.unsupported);
    const bias = setup.files.find((f) => f.name === 'lenet_bias.hex')!;
    const words = String(bias.data).split('\n');
    const layer2 = 1 + 6 + 3; // header line, conv1's 6 channels, then conv2's channel 3
    words[layer2] = (parseInt(words[layer2]!, 16) ^ 0x40000).toString(16).padStart(8, '0');
    bias.data = words.join('\n');
    const { dir, sim } = buildSim(setup.files);
    try {
      const x = vectorInputs(g, calib, 1)[0]!;
      fs.writeFileSync(path.join(dir, 'in.hex'), memoryImages(x.data, 8, 'input').hex);
      fs.writeFileSync(path.join(dir, 'want.hex'), expectedOutputs(g, setup.prog, x).hex);
      const r = runSim(dir, sim, 'in.hex', 'want.hex');
      expect(r.errors).toBeGreaterThan(0);
      expect(r.log).toMatch(/MISMATCH record 2 layer 2 /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
